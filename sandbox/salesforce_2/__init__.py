"""A second Salesforce org, served beside the first when ``--extra second_org=true`` (several-org extraction)."""

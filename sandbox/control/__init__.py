"""The sandbox's control interface over plain HTTP on loopback (``SANDBOX_CONTROL_URL``)."""

"""The second org's control interface over plain HTTP on loopback (``SANDBOX_CONTROL_2_URL``), when it is served."""

"""Our own locale formats (settings.FORMAT_MODULE_PATH), consulted before Django's."""

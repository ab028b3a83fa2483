"""The staff console (unfold admin site): one module per domain, registered in ``registry``."""

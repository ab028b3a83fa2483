"""The staff console (unfold admin site): one module or package per domain,
registered in ``registry``."""

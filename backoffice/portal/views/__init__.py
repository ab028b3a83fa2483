"""Portal views, one module per area: home, auth (register/login/activation), account."""

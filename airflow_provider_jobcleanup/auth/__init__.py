"""Request signers (``requests.auth.AuthBase``) and token providers with expiry and refresh."""

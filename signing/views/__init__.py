"""The signing app's pages, one module per audience: ``owner`` (the owner's document pages),
``signer`` (the signer's personal-link pages), ``signer_link`` (which signer a link stands for in
this browser session) and ``common`` (what both share)."""

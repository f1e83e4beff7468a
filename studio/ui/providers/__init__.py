"""The provider dialog (where requests go, which key they carry)."""

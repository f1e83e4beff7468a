"""Small widgets shared by the studio's views (JSON editor, messages editor, icons...)."""

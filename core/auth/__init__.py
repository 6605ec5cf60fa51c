"""Who is calling: token validation, principals and roles, and the one authorisation decision."""

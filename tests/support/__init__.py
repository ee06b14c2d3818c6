"""Real servers on loopback for the project's own tests: HTTP(S), TLS, PostgreSQL, MariaDB, Redis, SMTP."""

"""The calendar of the cadences: due times in a time zone, the daemon, overdue detection, cron/systemd/CI snippets."""

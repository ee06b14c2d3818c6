"""Tests of the AWS checks (ECS, RDS, ElastiCache, CloudWatch, load balancer targets) against moto's server."""

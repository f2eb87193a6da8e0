-- Run once by the postgres image on an empty data directory (docker-entrypoint-initdb.d).
-- Each service owns its own database, reached with its own role: registry, risk, financing.
-- DEVELOPMENT PASSWORDS: they match the database URLs in deploy/compose.yaml. Replace them (and those URLs)
-- for anything but a local run; in production use a managed PostgreSQL and per-service credentials from a
-- secret store.

CREATE ROLE registry LOGIN PASSWORD 'registry-dev-password';
CREATE ROLE risk LOGIN PASSWORD 'risk-dev-password';
CREATE ROLE financing LOGIN PASSWORD 'financing-dev-password';

CREATE DATABASE registry OWNER registry;
CREATE DATABASE risk OWNER risk;
CREATE DATABASE financing OWNER financing;

-- No service may connect to another's database.
REVOKE CONNECT ON DATABASE registry FROM PUBLIC;
REVOKE CONNECT ON DATABASE risk FROM PUBLIC;
REVOKE CONNECT ON DATABASE financing FROM PUBLIC;

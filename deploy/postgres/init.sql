-- Runs once, when the PostgreSQL data volume is first initialised (docker-entrypoint-initdb.d).
-- One database per service, plus the API keys' database; each service's migrations create its
-- tables there (`remedium migrate`). The owner is the POSTGRES_USER of compose.yaml.
-- Adding a service later: create its database by hand (psql -c 'CREATE DATABASE ...'), since
-- this file does not run again on an existing volume.
CREATE DATABASE intake;
CREATE DATABASE plan;
CREATE DATABASE monitoring;
CREATE DATABASE reporting;
CREATE DATABASE feed;
CREATE DATABASE auth;

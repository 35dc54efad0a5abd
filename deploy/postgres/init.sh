#!/usr/bin/env bash
# Runs once, on first start of an empty data volume
# (/docker-entrypoint-initdb.d). One login role + one database per service;
# each role owns only its own database, and nobody else may connect to it.
set -euo pipefail

create_service_db() {
  local svc="$1" password="$2"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
       -v svc="$svc" -v pw="$password" <<'SQL'
CREATE ROLE :"svc" LOGIN PASSWORD :'pw' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE :"svc" OWNER :"svc";
REVOKE ALL ON DATABASE :"svc" FROM PUBLIC;
GRANT ALL ON DATABASE :"svc" TO :"svc";
SQL
}

create_service_db intake    "${INTAKE_DB_PASSWORD:?INTAKE_DB_PASSWORD must be set, see deploy/.env.example}"
create_service_db dispatch  "${DISPATCH_DB_PASSWORD:?DISPATCH_DB_PASSWORD must be set, see deploy/.env.example}"
create_service_db inventory "${INVENTORY_DB_PASSWORD:?INVENTORY_DB_PASSWORD must be set, see deploy/.env.example}"
create_service_db billing   "${BILLING_DB_PASSWORD:?BILLING_DB_PASSWORD must be set, see deploy/.env.example}"
create_service_db fracas    "${FRACAS_DB_PASSWORD:?FRACAS_DB_PASSWORD must be set, see deploy/.env.example}"

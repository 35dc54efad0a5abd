#!/bin/sh
# Command of the rabbitmq container (docker-compose.yml). definitions.json, imported at every boot,
# declares the users and their permissions without passwords, so nobody can log in until this script
# has set each user's password from the environment. The healthcheck waits for READY, so no service
# starts before that.
set -eu

READY=${READY_FILE:-/tmp/aftersales-users-ready}
USERS="admin intake dispatch inventory billing fracas"

password_var() {
  if [ "$1" = admin ]; then echo RABBITMQ_ADMIN_PASSWORD; else echo "$(echo "$1" | tr a-z A-Z)_AMQP_PASSWORD"; fi
}

rm -f "$READY"
for user in $USERS; do
  var=$(password_var "$user")
  eval "value=\${$var:-}"
  if [ -z "$value" ]; then
    echo "start.sh: $var must be set (see deploy/.env.example)" >&2
    exit 1
  fi
done

set_passwords() {
  tries=0
  until rabbitmqctl -q await_startup >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -ge 300 ]; then
      echo "start.sh: the broker did not start; no passwords were set" >&2
      return 1
    fi
    sleep 1
  done
  for user in $USERS; do
    eval "value=\${$(password_var "$user")}"
    # On standard input, not the command line, where any process in the container could read it.
    printf '%s' "$value" | rabbitmqctl -q change_password "$user" >/dev/null
  done
  # Boot-time definitions keep the broker from creating guest; make sure of it all the same.
  rabbitmqctl -q delete_user guest >/dev/null 2>&1 || true
  touch "$READY"
  echo "start.sh: passwords set for $USERS"
}

# Detached (its parent exits at once), so the container's init reaps it once it is done.
( set_passwords & )
exec docker-entrypoint.sh rabbitmq-server

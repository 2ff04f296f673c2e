#!/usr/bin/env bash
# A private three-node RabbitMQ cluster on this machine, for the tests marked
# `cluster` (tests/cluster/), beside the default node, which it never touches.
#
#   bash scripts/cluster.sh start          # start the three nodes and join them (idempotent)
#   bash scripts/cluster.sh stop           # stop them and delete their data
#   bash scripts/cluster.sh status         # which nodes run; the cluster's view; exit 0 iff all three run
#   bash scripts/cluster.sh stop-node N    # stop node N (1-3), keeping its data: a node failure
#   bash scripts/cluster.sh start-node N   # start node N again; it rejoins the cluster
#   bash scripts/cluster.sh urls           # the three AMQP URLs, one a line (start prints them too)
#   bash scripts/cluster.sh nodes          # the three node names, one a line
#   bash scripts/cluster.sh ctl N ARGS...  # rabbitmqctl ARGS... against node N, as rabbitmq (e.g. ctl 1 list_consumers)
#
# Theory of operation.  Node N is named amqproto-cN@localhost, listens for
# AMQP on 127.0.0.1:$((5700+N)) and for Erlang distribution on
# 127.0.0.1:$((25700+N)), and keeps everything under $AMQPROTO_CLUSTER_DIR/cN
# (default /tmp/amqproto-cluster): its data (mnesia), logs, pid file and
# its own config files.  The system's /etc/rabbitmq/rabbitmq.conf pins the
# listener to 5672 and /etc/rabbitmq/rabbitmq-env.conf names the default node,
# so each node gets RABBITMQ_CONFIG_FILE and RABBITMQ_CONF_ENV_FILE of its own
# and reads neither.  The nodes run as the `rabbitmq` user with its home,
# /var/lib/rabbitmq, so they share the default node's Erlang cookie: plain
# `rabbitmqctl -n amqproto-c1@localhost ...` reaches them, as root or as
# rabbitmq.  `start` boots the missing nodes in parallel, then joins nodes 2
# and 3 to node 1 (stop_app, join_cluster, start_app) when they are not yet
# members.  A node that was stopped with `stop-node` keeps its data and
# rejoins by itself on `start-node`.  `stop` shuts the nodes down through
# rabbitmqctl and, should one not go, kills the process its own pid file
# names, after checking that it is that node's VM; then deletes the
# directory, so the next `start` forms a fresh cluster.
#
# Every wait is bounded (CLUSTER_TIMEOUT seconds, default 120, for a node
# to boot or stop; 30 s for each rabbitmqctl call).  Concurrent invocations
# (two test runs) are serialised by a lock file.  Needs root, the rabbitmq
# user, or password-less sudo to become `rabbitmq`.
set -euo pipefail

BASE_DIR=${AMQPROTO_CLUSTER_DIR:-${TMPDIR:-/tmp}/amqproto-cluster}
TIMEOUT=${CLUSTER_TIMEOUT:-120}
# Each node's file-descriptor limit.  runuser's PAM session resets the soft
# limit to 1024, with which RabbitMQ accepts about 830 sockets; the scale
# benchmark (bench/scale.py --url) opens 1,000 connections to node 1.
NODE_NOFILE=${AMQPROTO_CLUSTER_NOFILE:-4096}
NODES=(1 2 3)
RABBITMQ_BIN=/usr/lib/rabbitmq/bin
RABBITMQ_HOME_DIR=/var/lib/rabbitmq
# The CLI's own distribution ports: a range of its own, so that many
# rabbitmqctl calls at once (ours and other users' of the default node) do
# not run out of the default range 35672-35682.
CTL_DIST_PORT_MIN=35701
CTL_DIST_PORT_MAX=35730

node_name() { echo "amqproto-c$1@localhost"; }
amqp_port() { echo $((5700 + $1)); }
dist_port() { echo $((25700 + $1)); }
node_dir() { echo "$BASE_DIR/c$1"; }
url() { echo "amqp://guest:guest@127.0.0.1:$(amqp_port "$1")/%2F"; }

die() { echo "cluster.sh: $*" >&2; exit 1; }
say() { echo "cluster.sh [${SECONDS} s]: $*" >&2; }

# Run a command as the rabbitmq user, with its home (and so its cookie).
as_rabbitmq() {
    if [ "$(id -un)" = rabbitmq ]; then
        env HOME="$RABBITMQ_HOME_DIR" "$@"
    elif [ "$(id -u)" -eq 0 ]; then
        runuser -u rabbitmq -- env HOME="$RABBITMQ_HOME_DIR" "$@"
    else
        sudo -n -u rabbitmq env HOME="$RABBITMQ_HOME_DIR" "$@"
    fi
}

# Run a command as root (to make directories for rabbitmq, to kill its processes).
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

ctl() {  # ctl N ARGS...: rabbitmqctl against node N, bounded
    local node=$1
    shift
    as_rabbitmq env RABBITMQ_CONF_ENV_FILE=/nonexistent \
        RABBITMQ_CTL_DIST_PORT_MIN=$CTL_DIST_PORT_MIN RABBITMQ_CTL_DIST_PORT_MAX=$CTL_DIST_PORT_MAX \
        timeout 30 "$RABBITMQ_BIN/rabbitmqctl" -n "$(node_name "$node")" "$@"
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# Cheap checks, no CLI (each rabbitmqctl call boots an Erlang VM: seconds on
# a loaded machine).  The AMQP listener opens at the end of the node's boot.
is_running() { port_open "$(amqp_port "$1")"; }   # node N serves AMQP
vm_up() { port_open "$(dist_port "$1")"; }         # node N's VM is up, its app perhaps stopped

write_config() {  # write_config N: the node's directories and config files
    local n=$1 dir
    dir=$(node_dir "$n")
    as_root mkdir -p "$dir/mnesia" "$dir/log"
    as_root tee "$dir/rabbitmq.conf" >/dev/null <<EOF
# amqproto's cluster node $n (scripts/cluster.sh); read instead of /etc/rabbitmq/rabbitmq.conf.
listeners.tcp.1 = 127.0.0.1:$(amqp_port "$n")
# The nodes share the machine with the default node and each other: no
# resource alarm from the machine's total memory or free disk.
vm_memory_high_watermark.absolute = 1GB
disk_free_limit.absolute = 50MB
log.console = false
log.file.level = info
cluster_name = amqproto-cluster
EOF
    as_root tee "$dir/rabbitmq-env.conf" >/dev/null <<EOF
# Read instead of /etc/rabbitmq/rabbitmq-env.conf, which names the default node.
# Everything this node needs comes from scripts/cluster.sh's environment.
EOF
    echo "[]." | as_root tee "$dir/enabled_plugins" >/dev/null
    as_root chown -R rabbitmq: "$dir"
}

launch() {  # launch N: start node N in the background (does not wait)
    local n=$1 dir
    dir=$(node_dir "$n")
    if port_open "$(amqp_port "$n")" || port_open "$(dist_port "$n")"; then
        die "port $(amqp_port "$n") or $(dist_port "$n") is taken by something other than node $n"
    fi
    write_config "$n"
    say "starting $(node_name "$n") on 127.0.0.1:$(amqp_port "$n")"
    # In a subshell whose own descriptors are redirected with exec (a
    # redirection on the command would make bash keep copies of the old
    # ones): the node must not hold our caller's pipes (a test run's capture
    # would wait for it for ever) nor the lock of main.  setsid: the node
    # outlives this script and the test run's process group.
    (
        cd "$dir"
        exec >"$dir/log/startup.log" 2>&1 </dev/null 9>&-
        as_rabbitmq env \
            RABBITMQ_NODENAME="$(node_name "$n")" \
            RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
            RABBITMQ_NODE_PORT="$(amqp_port "$n")" \
            RABBITMQ_DIST_PORT="$(dist_port "$n")" \
            RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
            RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" \
            RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
            RABBITMQ_MNESIA_BASE="$dir/mnesia" \
            RABBITMQ_MNESIA_DIR="$dir/mnesia/$(node_name "$n")" \
            RABBITMQ_LOG_BASE="$dir/log" \
            RABBITMQ_PID_FILE="$dir/node.pid" \
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
            ERL_EPMD_ADDRESS=127.0.0.1 \
            setsid prlimit --nofile="$NODE_NOFILE" "$RABBITMQ_BIN/rabbitmq-server" &
    )
}

await_node() {  # await_node N: wait until node N runs, within TIMEOUT
    local n=$1 deadline=$((SECONDS + TIMEOUT)) started=$((SECONDS + 10))
    until is_running "$n"; do
        # Its VM gone (it failed to boot) after a moment to appear: give up now.
        if [ "$SECONDS" -ge "$deadline" ] || { [ "$SECONDS" -ge "$started" ] && [ -z "$(vm_pids "$n")" ]; }; then
            tail -n 20 "$(node_dir "$n")/log/startup.log" >&2 || true
            die "$(node_name "$n") did not start within $TIMEOUT s (logs: $(node_dir "$n")/log)"
        fi
        sleep 0.5
    done
    ctl "$n" -q await_startup >/dev/null
    say "$(node_name "$n") is up"
}

join() {  # join N: make node N (running, fresh) a member of node 1's cluster
    say "joining $(node_name "$1") to $(node_name 1)"
    ctl "$1" -q stop_app >/dev/null
    ctl "$1" -q join_cluster "$(node_name 1)" >/dev/null
    ctl "$1" -q start_app >/dev/null
}

vm_pids() {  # vm_pids N: the pids of node N's Erlang VM (found by its environment, not by guess)
    local pid
    for pid in $(pgrep -u rabbitmq -x beam.smp); do
        if as_root cat "/proc/$pid/environ" 2>/dev/null | tr '\0' '\n' | grep -qx "RABBITMQ_NODENAME=$(node_name "$1")"; then
            echo "$pid"
        fi
    done
}

shutdown_node() {  # shutdown_node N: stop node N's VM, keeping its data
    local n=$1 pids deadline
    if vm_up "$n"; then
        say "stopping $(node_name "$n")"
        ctl "$n" -q shutdown >/dev/null 2>&1 || true
    fi
    deadline=$((SECONDS + TIMEOUT))
    while pids=$(vm_pids "$n") && [ -n "$pids" ]; do
        if [ "$SECONDS" -ge "$deadline" ] || ! vm_up "$n"; then
            # Shut down, or never up, yet its VM lingers: it is ours, kill it.
            say "killing what is left of $(node_name "$n"): pid $pids"
            # shellcheck disable=SC2086
            as_root kill -KILL $pids 2>/dev/null || true
            break
        fi
        sleep 0.5
    done
}

check_node_number() {
    case "${1:-}" in
        1 | 2 | 3) ;;
        *) die "expected a node number, 1, 2 or 3, not '${1:-}'" ;;
    esac
}

cmd_start() {
    local n fresh=()
    [ -x "$RABBITMQ_BIN/rabbitmq-server" ] || die "RabbitMQ is not installed ($RABBITMQ_BIN/rabbitmq-server is missing)"
    if ! vm_up 1 && ! vm_up 2 && ! vm_up 3; then
        # Nothing runs: start from scratch rather than from a stopped
        # cluster's data, whose nodes would wait for each other.
        as_root rm -rf "$BASE_DIR"
    fi
    for n in "${NODES[@]}"; do
        if vm_up "$n"; then continue; fi
        if [ ! -d "$(node_dir "$n")/mnesia/$(node_name "$n")" ]; then fresh+=("$n"); fi
        launch "$n"
    done
    for n in "${NODES[@]}"; do await_node "$n"; done
    # A node with data (stopped by stop-node) rejoins by itself; a fresh one
    # joins here.  One at a time: joins change the cluster's schema.
    for n in "${fresh[@]}"; do
        if [ "$n" != 1 ]; then join "$n"; fi
    done
    for n in "${NODES[@]}"; do url "$n"; done
}

cmd_stop() {
    local n
    for n in "${NODES[@]}"; do
        shutdown_node "$n" &
    done
    wait
    as_root rm -rf "$BASE_DIR"
}

cmd_status() {
    local n status=0
    for n in "${NODES[@]}"; do
        if is_running "$n"; then
            echo "$(node_name "$n") running on 127.0.0.1:$(amqp_port "$n")"
        else
            echo "$(node_name "$n") stopped"
            status=3
        fi
    done
    for n in "${NODES[@]}"; do
        if is_running "$n"; then
            as_rabbitmq env RABBITMQ_CONF_ENV_FILE=/nonexistent timeout 30 \
                "$RABBITMQ_BIN/rabbitmq-diagnostics" -n "$(node_name "$n")" -q cluster_status || true
            break
        fi
    done
    return "$status"
}

cmd_start_node() {
    check_node_number "${1:-}"
    if vm_up "$1"; then
        await_node "$1"
        return
    fi
    local fresh=
    if [ ! -d "$(node_dir "$1")/mnesia/$(node_name "$1")" ]; then fresh=1; fi
    launch "$1"
    await_node "$1"
    if [ -n "$fresh" ] && [ "$1" != 1 ]; then join "$1"; fi
}

cmd_stop_node() {
    check_node_number "${1:-}"
    shutdown_node "$1"
}

main() {
    local command=${1:-}
    shift || true
    case "$command" in
        start | stop | status | start-node | stop-node) ;;
        urls)
            for n in "${NODES[@]}"; do url "$n"; done
            return
            ;;
        nodes)
            for n in "${NODES[@]}"; do node_name "$n"; done
            return
            ;;
        ctl)  # no lock: it may run while another invocation starts a node
            check_node_number "${1:-}"
            ctl "$@"
            return
            ;;
        *)
            echo "usage: $0 start|stop|status|urls|nodes|start-node N|stop-node N|ctl N ARGS..." >&2
            exit 2
            ;;
    esac
    mkdir -p "$(dirname "$BASE_DIR")"
    exec 9>"$BASE_DIR.lock"
    flock -w "$TIMEOUT" 9 || die "another scripts/cluster.sh holds $BASE_DIR.lock"
    case "$command" in
        start) cmd_start ;;
        stop) cmd_stop ;;
        status) cmd_status ;;
        start-node) cmd_start_node "$@" ;;
        stop-node) cmd_stop_node "$@" ;;
    esac
}

main "$@"

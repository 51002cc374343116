# shellcheck shell=bash
# HAProxy as the second reference proxy, part of Benchmarks/bench.sh (sourced).
#
#   start_haproxy   one HAProxy (Debian's, nbthread one per CPU as the gateway
#                   runs one event loop per CPU) in front of the content-quiet
#                   service, no log, HTTP keep-alive on both sides and server
#                   connections reused across clients (http-reuse always), as
#                   nginx keeps its upstream pool.
# Its config lives in the temp dir; nothing under /etc/haproxy is used.
# shellcheck disable=SC2154 # globals of Benchmarks/bench.sh

start_haproxy() {
    local dir="$STATE_DIR/haproxy" content_port="${URL[content-quiet]##*:}" port
    harness port && port="$REPLY"
    mkdir -p "$dir"
    cat >"$dir/haproxy.cfg" <<CFG
global
    maxconn 4096
    nbthread $(nproc)
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option http-keep-alive
    http-reuse always
frontend bench
    bind 127.0.0.1:$port
    default_backend content
backend content
    server content 127.0.0.1:$content_port
CFG
    haproxy -c -q -f "$dir/haproxy.cfg" || die "haproxy rejected $dir/haproxy.cfg"
    start_process haproxy -- haproxy -db -f "$dir/haproxy.cfg"
    URL[haproxy]="http://127.0.0.1:$port"
    harness http haproxy "${URL[haproxy]}/api/test/all" 30
    log_info "haproxy (pid ${PID[haproxy]}, nbthread $(nproc)) on port $port"
}

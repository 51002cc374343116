# shellcheck shell=bash
# nginx as the reference reverse proxy, part of Benchmarks/bench.sh (sourced).
#
#   start_nginx   one nginx (worker_processes BENCH_NGINX_WORKERS, default one
#                 per CPU) with two servers in front of the content-quiet
#                 service: nginx-log writes an access log line per request,
#                 buffered as an operator would (buffer=64k flush=1s), and
#                 nginx-nolog writes none. Both keep a keep-alive pool to the
#                 upstream, so neither pays a TCP connect per request.
#
# keepalive_requests is raised on both sides (nginx closes a keep-alive
# connection after 1000 requests by default; the gateway never does): the
# comparison is of proxying, not of reconnecting every 1000 requests.
# Its own prefix, config and temp folders live in the temp dir: nothing under
# /etc/nginx or /var/lib/nginx is used.
# shellcheck disable=SC2154 # globals of Benchmarks/bench.sh

start_nginx() {
    local dir="$STATE_DIR/nginx" logs="$STATE_DIR/logs" content_port="${URL[content-quiet]##*:}"
    local log_port nolog_port temp="" module
    harness port && log_port="$REPLY"
    harness port && nolog_port="$REPLY"
    mkdir -p "$dir/temp"
    chmod 755 "$dir" "$dir/temp" # workers run as nobody when we are root
    temp+="    client_body_temp_path $dir/temp/body;"$'\n'
    temp+="    proxy_temp_path $dir/temp/proxy;"$'\n'
    # Only modules this nginx has accept their *_temp_path directive.
    for module in fastcgi uwsgi scgi; do
        nginx -V 2>&1 | grep -q -- "--without-http_${module}_module" ||
            temp+="    ${module}_temp_path $dir/temp/$module;"$'\n'
    done
    cat >"$dir/nginx.conf" <<EOF
worker_processes $NGINX_WORKERS;
pid $dir/nginx.pid;
error_log $logs/nginx-error.log warn;
events {
    worker_connections 4096;
}
http {
    access_log off;
$temp
    upstream content {
        server 127.0.0.1:$content_port;
        keepalive 64;
        keepalive_requests 1000000;
    }
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$log_port;
        access_log $logs/nginx-access.log combined buffer=64k flush=1s;
        location / {
            proxy_pass http://content;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
    server {
        listen 127.0.0.1:$nolog_port;
        location / {
            proxy_pass http://content;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
    local args=(-p "$dir" -c "$dir/nginx.conf" -e "$logs/nginx-error.log")
    nginx -t -q "${args[@]}" || die "nginx rejected $dir/nginx.conf"
    start_process nginx -- nginx "${args[@]}" -g 'daemon off;'
    URL[nginx-log]="http://127.0.0.1:$log_port"
    URL[nginx-nolog]="http://127.0.0.1:$nolog_port"
    harness http nginx "${URL[nginx-log]}/api/test/all" 30
    harness http nginx "${URL[nginx-nolog]}/api/test/all" 30
    log_info "nginx (pid ${PID[nginx]}, worker_processes $NGINX_WORKERS): access log on port $log_port, off on $nolog_port"
}

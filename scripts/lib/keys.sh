# shellcheck shell=bash
# Development keys: the JWT signing key and the second-factor sealing key.
#
#   ensure_dev_key PATH   unless JWT_PRIVATE_KEY_FILE is already set, create
#                         (once) an ES256 / P-256 private key as PKCS#8 PEM at
#                         PATH (mode 600) and export JWT_PRIVATE_KEY_FILE=PATH
#
# Needs common.sh.

ensure_dev_key() {
    local path="$1"
    if [[ -n "${JWT_PRIVATE_KEY_FILE:-}" ]]; then
        [[ -r "$JWT_PRIVATE_KEY_FILE" ]] ||
            die "JWT_PRIVATE_KEY_FILE=$JWT_PRIVATE_KEY_FILE is not a readable file"
        log_info "using JWT key from JWT_PRIVATE_KEY_FILE=$JWT_PRIVATE_KEY_FILE"
        return 0
    fi
    if [[ ! -s "$path" ]]; then
        log_info "generating development ES256 key in $path"
        mkdir -p "$(dirname "$path")"
        # Written under umask 077 to a side file, then renamed: never readable
        # by others, never half-written.
        (umask 077 && openssl genpkey -algorithm EC \
            -pkeyopt ec_paramgen_curve:P-256 -out "$path.tmp") ||
            die "openssl could not generate the development key"
        mv -f "$path.tmp" "$path"
    fi
    chmod 600 "$path"
    JWT_PRIVATE_KEY_FILE="$(cd "$(dirname "$path")" && pwd -P)/$(basename "$path")"
    export JWT_PRIVATE_KEY_FILE
}

# Development key for sealing second-factor secrets.
#
#   ensure_mfa_key PATH   unless MFA_ENCRYPTION_KEY_FILE is already set, create
#                         (once) 32 random bytes in base64 at PATH (mode 600)
#                         and export MFA_ENCRYPTION_KEY_FILE=PATH. Keep the
#                         file: the enrolled users' secrets open only with it.
ensure_mfa_key() {
    local path="$1"
    if [[ -n "${MFA_ENCRYPTION_KEY_FILE:-}" ]]; then
        [[ -r "$MFA_ENCRYPTION_KEY_FILE" ]] ||
            die "MFA_ENCRYPTION_KEY_FILE=$MFA_ENCRYPTION_KEY_FILE is not a readable file"
        log_info "using the MFA key from MFA_ENCRYPTION_KEY_FILE=$MFA_ENCRYPTION_KEY_FILE"
        return 0
    fi
    if [[ ! -s "$path" ]]; then
        log_info "generating development MFA encryption key in $path"
        mkdir -p "$(dirname "$path")"
        (umask 077 && openssl rand -base64 32 >"$path.tmp") ||
            die "openssl could not generate the MFA key"
        mv -f "$path.tmp" "$path"
    fi
    chmod 600 "$path"
    MFA_ENCRYPTION_KEY_FILE="$(cd "$(dirname "$path")" && pwd -P)/$(basename "$path")"
    export MFA_ENCRYPTION_KEY_FILE
}

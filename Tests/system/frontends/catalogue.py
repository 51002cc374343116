"""The tutorial's frontends as read line by line: where each one's API code is and what it sends.

Every entry names the public repository (github.com/bezkoder/<repo>), the commit read and the files
whose behaviour the clients in ``clients.py`` reproduce. The suites are parametrized over these entries,
so a test id names the frontend it plays (``react-jwt-auth``, ``angular-11-jwt-refresh-token`` ...).

Facts that hold for all of them (read in each repository):
- the API base is ``http://localhost:8080/api/auth/`` and ``http://localhost:8080/api/test/``;
- bodies are JSON: signup ``{username, email, password}`` (the forms never send ``roles``), signin
  ``{username, password}``, refresh ``{refreshToken}``;
- a board shows the body text of ``/api/test/<board>``, or ``message`` of the JSON error body.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Where `npm start` serves: Create React App's PORT=8081 (.env) and vue.config.js devServer.port 8081;
#: Angular's `ng serve` uses 4200 unless started as the READMEs say, `ng serve --port 8081`.
REACT_VUE_ORIGIN = "http://localhost:8081"
ANGULAR_NG_SERVE_ORIGIN = "http://localhost:4200"

#: axios 0.19/0.20 write this Content-Type for an object body; 0.21.2 and later write "application/json".
AXIOS_LEGACY_JSON = "application/json;charset=utf-8"
JSON = "application/json"
#: The Accept header axios (lib/defaults.js) and Angular's HttpXhrBackend add to every request.
ACCEPT = "application/json, text/plain, */*"


@dataclass(frozen=True)
class Frontend:
    """One of the tutorial's frontends: its repository and the behaviour its API code has."""

    repo: str
    commit: str
    files: tuple[str, ...]
    #: "x-access-token" or "bearer": the header its code sends as shipped.
    token_header: str
    #: Content-Type of its JSON request bodies.
    content_type: str
    #: Origins its dev server serves on (the first as its package.json `start` does).
    origins: tuple[str, ...]
    note: str = ""
    #: react-typescript-authentication-example sends `Authorization: ""` to the boards when signed out.
    empty_authorization_when_signed_out: bool = False
    #: The React boards dispatch "logout" on a 401 (components/board-*.js); Vue's only show the message.
    board_signs_out_on_401: bool = False

    @property
    def url(self) -> str:
        """The repository's address."""
        return f"https://github.com/bezkoder/{self.repo}"

    def __str__(self) -> str:
        return self.repo


# --- axios per call, token from localStorage "user", no refresh (React, React Redux, Vue 2/3) ---------
AXIOS_PER_CALL = (
    Frontend("react-jwt-auth", "262ab2e",
             ("src/services/auth.service.js", "src/services/auth-header.js", "src/services/user.service.js",
              "src/common/auth-verify.js", "src/components/board-user.component.js"),
             "x-access-token", JSON, (REACT_VUE_ORIGIN,),
             "AuthVerify (shipped commented out) signs out at the token's exp", board_signs_out_on_401=True),
    Frontend("react-hooks-jwt-auth", "434ae58",
             ("src/services/auth.service.js", "src/services/auth-header.js", "src/components/BoardUser.js"),
             "bearer", JSON, (REACT_VUE_ORIGIN,), board_signs_out_on_401=True),
    Frontend("react-redux-jwt-auth", "c650dc9",
             ("src/services/auth.service.js", "src/services/auth-header.js", "src/actions/auth.js"),
             "x-access-token", AXIOS_LEGACY_JSON, (REACT_VUE_ORIGIN,), "axios 0.19", board_signs_out_on_401=True),
    Frontend("react-redux-hooks-jwt-auth", "b5d0bcf",
             ("src/services/auth.service.js", "src/services/auth-header.js", "src/actions/auth.js"),
             "x-access-token", JSON, (REACT_VUE_ORIGIN,), board_signs_out_on_401=True),
    Frontend("react-typescript-authentication-example", "2380773",
             ("src/services/auth.service.ts", "src/services/auth-header.ts", "src/services/user.service.ts"),
             "bearer", JSON, (REACT_VUE_ORIGIN,), "sends an empty `Authorization` to the boards when signed out",
             empty_authorization_when_signed_out=True, board_signs_out_on_401=True),
    Frontend("vue-vuex-jwt-auth", "0adfefd",
             ("src/services/auth.service.js", "src/services/auth-header.js", "src/store/auth.module.js"),
             "bearer", AXIOS_LEGACY_JSON, (REACT_VUE_ORIGIN,), "Vue 2, axios 0.19"),
    Frontend("vuex-typescript-jwt-auth", "5865846",
             ("src/services/AuthService.ts", "src/services/auth-header.ts", "src/store/modules/auth.module.ts"),
             "x-access-token", AXIOS_LEGACY_JSON, (REACT_VUE_ORIGIN,), "Vue 2 + TypeScript, axios 0.20"),
    Frontend("vue-3-authentication-jwt", "ca3b629",
             ("src/services/auth.service.js", "src/services/auth-header.js", "src/store/auth.module.js"),
             "bearer", JSON, (REACT_VUE_ORIGIN,), "Vue 3"),
)

# --- Angular HttpInterceptor adding the token to every request, sessionStorage (Angular 8-13) ----------
ANGULAR_TOKEN = tuple(
    Frontend(repo, commit, ("src/app/_helpers/auth.interceptor.ts", "src/app/_services/auth.service.ts",
             "src/app/_services/token-storage.service.ts", "src/app/_services/user.service.ts"), "bearer", JSON,
             (ANGULAR_NG_SERVE_ORIGIN, REACT_VUE_ORIGIN), "token on every request, public ones included")
    for repo, commit in (
        ("angular-8-jwt-authentication", "dced2df"),
        ("angular-10-jwt-authentication", "d59e6f8"),
        ("angular-11-jwt-authentication", "4645dc4"),
        ("angular-12-jwt-authentication", "50b77fa"),
        ("angular-13-login-registration-example", "8eb9d13"),
    )
)

# --- Angular 12-17 "HttpOnly cookie" editions: withCredentials, no token header, signout call --------
ANGULAR_COOKIE = tuple(
    Frontend(repo, commit, ("src/app/_helpers/http.interceptor.ts", "src/app/_services/auth.service.ts",
             "src/app/_services/storage.service.ts"), "none (cookie)", JSON,
             (ANGULAR_NG_SERVE_ORIGIN, REACT_VUE_ORIGIN),
             "written for the tutorial's cookie-session edition: sends no token")
    for repo, commit in (
        ("angular-12-jwt-auth", "8292121"),
        ("angular-13-jwt-auth", "b549c5c"),
        ("angular-14-jwt-auth", "f810e4e"),
        ("angular-15-jwt-auth", "719f679"),
        ("angular-16-jwt-auth", "1ac0f4e"),
        ("angular-17-jwt-auth", "0ef2d57"),
        # Its refresh call sends {} and expects the refresh token in a cookie; it refreshes only on a 401.
        ("angular-17-refresh-token", "75051a1"),
    )
)

# --- refresh-token editions: axios instance with interceptors (React, React hooks, Vue 2, Vue 3) ------
AXIOS_REFRESH = (
    Frontend("react-jwt-refresh-token", "6c1f319", ("src/services/api.js", "src/services/token.service.js",
             "src/services/auth.service.js"), "x-access-token", JSON, (REACT_VUE_ORIGIN,)),
    Frontend("react-refresh-token-hooks", "31f98ad", ("src/services/api.js", "src/services/token.service.js",
             "src/services/auth.service.js"), "x-access-token", JSON, (REACT_VUE_ORIGIN,)),
    Frontend("vue-axios-refresh-token", "e1c8421", ("src/services/api.js", "src/services/setupInterceptors.js",
             "src/services/token.service.js"), "x-access-token", JSON, (REACT_VUE_ORIGIN,), "Vue 2"),
    Frontend("vue-3-jwt-refresh-token", "435adcd", ("src/services/api.js", "src/services/setupInterceptors.js",
             "src/services/token.service.js"), "x-access-token", JSON, (REACT_VUE_ORIGIN,), "Vue 3"),
)

# --- Angular refresh-token editions: HttpInterceptor refreshing on 401, sessionStorage ----------------
ANGULAR_REFRESH = tuple(
    Frontend(repo, commit, ("src/app/_helpers/auth.interceptor.ts", "src/app/_services/auth.service.ts",
             "src/app/_services/token-storage.service.ts"), "x-access-token", JSON, origins)
    for repo, commit, origins in (
        ("angular-10-jwt-refresh-token", "0929dab", (ANGULAR_NG_SERVE_ORIGIN, REACT_VUE_ORIGIN)),
        ("angular-11-jwt-refresh-token", "5d84d10", (ANGULAR_NG_SERVE_ORIGIN, REACT_VUE_ORIGIN)),
        ("angular-12-jwt-refresh-token", "a427f19", (REACT_VUE_ORIGIN, ANGULAR_NG_SERVE_ORIGIN)),
    )
)

#: The refresh-capable frontends, whichever their framework.
REFRESH_EDITIONS = AXIOS_REFRESH + ANGULAR_REFRESH


def by_repo(repo: str) -> Frontend:
    """The catalogued frontend of that repository name."""
    for frontend in AXIOS_PER_CALL + ANGULAR_TOKEN + ANGULAR_COOKIE + REFRESH_EDITIONS:
        if frontend.repo == repo:
            return frontend
    raise KeyError(repo)

// auth-backend web app: what the tutorial's React/Vue/Angular frontends do, in plain JavaScript.
// No build step and nothing fetched from elsewhere: the gateway serves this file under a strict
// Content-Security-Policy, so there is no inline script or style and no eval. Untrusted text only
// ever reaches the page through textContent.
"use strict";

(() => {
  // ------------------------------------------------------------------ storage ---

  /**
   * The signin body under "user" in localStorage, as the tutorial's clients keep it. Against a backend
   * with SESSION_COOKIES=only the signin answer carries no token (the session is in HttpOnly cookies the
   * page cannot read): then only the profile is kept, marked `cookieSession`, and no token ever is.
   */
  const storage = {
    key: "user",
    get() {
      try {
        const user = JSON.parse(localStorage.getItem(this.key));
        return user && (typeof user.accessToken === "string" || user.cookieSession === true) ? user : null;
      } catch {
        return null;
      }
    },
    save(user) {
      const kept = typeof user.accessToken === "string" ? user : { ...user, cookieSession: true };
      if (kept.cookieSession) {
        delete kept.accessToken;
        delete kept.refreshToken;
      }
      localStorage.setItem(this.key, JSON.stringify(kept));
    },
    /** The refresh answer: unlike the tutorial's clients we keep the rotated refresh token too. */
    updateTokens(accessToken, refreshToken) {
      const user = this.get();
      if (!user) return;
      user.accessToken = accessToken;
      if (typeof refreshToken === "string" && refreshToken) user.refreshToken = refreshToken;
      this.save(user);
    },
    clear() {
      localStorage.removeItem(this.key);
    },
  };

  // ---------------------------------------------------------------------- API ---

  const SIGNIN = "/api/auth/signin";
  const REFRESH = "/api/auth/refreshtoken";
  const REQUEST_TIMEOUT_MS = 15000;

  /** An answer that was not 2xx, with the API's `message` when it sent one. */
  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  /**
   * One request, without the refresh rule. Resolves to {status, data}; rejects only when no answer came.
   * Same-origin credentials: the session cookies of a cookie session go with it (and signin's are kept).
   */
  async function send(method, path, { body, auth = true } = {}) {
    const headers = { Accept: "application/json" };
    const user = storage.get();
    if (auth && user && !user.cookieSession) headers["x-access-token"] = user.accessToken;
    // The gateway takes a cookie-authenticated POST, PUT or DELETE only with a JSON type (its CSRF rule).
    if (body !== undefined || (user && user.cookieSession && method !== "GET" && method !== "HEAD")) {
      headers["Content-Type"] = "application/json";
    }
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store",
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch {
      throw new ApiError(0, "The server did not answer. Check your connection and try again.");
    }
    const text = await response.text();
    let data = text;
    if ((response.headers.get("Content-Type") || "").includes("json")) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
    return { status: response.status, data };
  }

  function messageOf({ status, data }) {
    if (data && typeof data === "object" && typeof data.message === "string") return data.message;
    if (typeof data === "string" && data.trim() && data.length < 300) return data.trim();
    return `The server answered ${status}.`;
  }

  let refreshing = null;

  /** Trades the refresh token for new tokens; concurrent 401s share one refresh. */
  function refreshTokens() {
    if (!refreshing) {
      refreshing = (async () => {
        const user = storage.get();
        if (user && user.cookieSession) {
          // The refresh cookie (Path=/api/auth) is the token; the answer sets both cookies anew.
          const answer = await send("POST", REFRESH, { body: {}, auth: false });
          if (answer.status === 200) return true;
          if (answer.status === 403) signedOut("Your session has ended. Please log in again.");
          return false;
        }
        if (!user || !user.refreshToken) return false;
        const answer = await send("POST", REFRESH, { body: { refreshToken: user.refreshToken }, auth: false });
        if (answer.status === 200 && answer.data && typeof answer.data.accessToken === "string") {
          storage.updateTokens(answer.data.accessToken, answer.data.refreshToken);
          return true;
        }
        // The refresh editions' rule: a refused refresh (403) means the session is over.
        if (answer.status === 403) signedOut("Your session has ended. Please log in again.");
        return false;
      })().finally(() => {
        refreshing = null;
      });
    }
    return refreshing;
  }

  /**
   * A request with the refresh editions' rule: on a 401 (except signin's) refresh the tokens and
   * retry once. Resolves to the body of a 2xx answer; rejects with an ApiError otherwise.
   */
  async function api(method, path, options = {}) {
    let answer = await send(method, path, options);
    if (answer.status === 401 && options.auth !== false && path !== SIGNIN && storage.get()) {
      if (await refreshTokens()) answer = await send(method, path, options);
    }
    if (answer.status < 200 || answer.status > 299) throw new ApiError(answer.status, messageOf(answer));
    return answer.data;
  }

  // ---------------------------------------------------------------- features ---

  /** Routes that newer versions of the backend add: a 404 means this one lacks them. */
  const features = { me: false, sessions: false, users: false, checked: false };

  /** True when the route answers at all for this user: 2xx, or 403 (there, but not for them). */
  async function probe(path) {
    try {
      await api("GET", path);
      return true;
    } catch (error) {
      return error.status === 403;
    }
  }

  let detecting = null;

  /** Probes the optional routes once per signin; render() waits for it before a page that needs one. */
  function detectFeatures() {
    const user = storage.get();
    if (!user) return Promise.resolve();
    if (!detecting) {
      detecting = Promise.all([
        probe("/api/auth/me"),
        probe("/api/auth/sessions"),
        isAdmin(user) ? probe("/api/admin/users?limit=1") : Promise.resolve(false),
      ]).then(([me, sessions, users]) => {
        Object.assign(features, { me, sessions, users, checked: true });
        updateNav();
        if (me) refreshVerification();
      });
    }
    return detecting;
  }

  // ---------------------------------------------------------------------- DOM ---

  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));
  const field = (view, name) => $(`[data-field="${name}"]`, view);

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  const hasRole = (user, role) => Array.isArray(user && user.roles) && user.roles.includes(role);
  const isAdmin = (user) => hasRole(user, "ROLE_ADMIN");

  function notify(text) {
    $('[data-field="notice"]').textContent = text || "";
  }

  function updateNav() {
    const user = storage.get();
    const shown = {
      "signed-in": Boolean(user),
      "signed-out": !user,
      moderator: hasRole(user, "ROLE_MODERATOR"),
      admin: isAdmin(user),
      sessions: Boolean(user) && features.sessions,
      users: Boolean(user) && features.users && isAdmin(user),
    };
    for (const item of $$("[data-when]")) item.hidden = !shown[item.dataset.when];
    $('[data-field="nav-username"]').textContent = user ? user.username : "Profile";
  }

  /** The banner for an unverified address, from a profile (`/api/auth/me`); hidden for any other. */
  function showVerification(profile) {
    const banner = $('[data-field="verify-banner"]');
    const unverified = Boolean(storage.get()) && profile && profile.emailVerified === false;
    banner.hidden = !unverified;
    if (unverified) {
      $('[data-field="verify-banner-email"]').textContent = profile.email;
      $('[data-field="verify-banner-status"]').textContent = "";
    }
  }

  async function refreshVerification() {
    try {
      showVerification(await api("GET", "/api/auth/me"));
    } catch {
      showVerification(null);
    }
  }

  async function onResendVerification(button) {
    const status = $('[data-field="verify-banner-status"]');
    button.disabled = true;
    try {
      status.textContent = messageOf({ status: 200, data: await api("POST", "/api/auth/email/verify/resend") });
    } catch (error) {
      status.textContent = error.message;
    } finally {
      button.disabled = false;
    }
  }

  /** Signs out locally (storage and page), for a refused refresh or after signout. */
  function signedOut(message) {
    storage.clear();
    showVerification(null);
    Object.assign(features, { me: false, sessions: false, users: false, checked: false });
    detecting = null;
    updateNav();
    notify(message);
    if (location.hash !== "#/login") location.hash = "#/login";
    else render();
  }

  // ------------------------------------------------------------------- views ---

  const boards = {
    user: { title: "User Board", path: "/api/test/user" },
    mod: { title: "Moderator Board", path: "/api/test/mod" },
    admin: { title: "Admin Board", path: "/api/test/admin" },
  };

  function showError(view, error) {
    const target = field(view, "error");
    if (target) target.textContent = error ? error.message : "";
  }

  async function homeView(view) {
    const target = field(view, "home-content");
    target.textContent = "";
    try {
      const text = await api("GET", "/api/test/all");
      target.textContent = typeof text === "string" ? text : JSON.stringify(text);
    } catch (error) {
      target.textContent = error.message;
    }
  }

  async function boardView(view, name) {
    const board = boards[name];
    field(view, "board-title").textContent = board.title;
    const target = field(view, "board-content");
    target.textContent = "";
    target.classList.remove("alert");
    try {
      const text = await api("GET", board.path);
      target.textContent = typeof text === "string" ? text : JSON.stringify(text);
    } catch (error) {
      // As in the tutorial's boards: the API's message takes the content's place.
      target.textContent = error.message;
      target.classList.add("alert");
    }
  }

  function fillProfile(view, profile, token) {
    const verified = field(view, "profile-verified");
    verified.hidden = typeof profile.emailVerified !== "boolean";
    verified.textContent = profile.emailVerified ? "verified" : "not verified";
    verified.classList.toggle("badge-warning", profile.emailVerified === false);
    field(view, "profile-username").textContent = profile.username;
    field(view, "profile-token").textContent = token
      ? `${token.substring(0, 20)} … ${token.substring(token.length - 20)}`
      : storage.get()?.cookieSession ? "in an HttpOnly cookie (no script can read it)" : "";
    field(view, "profile-id").textContent = profile.id;
    field(view, "profile-email").textContent = profile.email;
    const roles = field(view, "profile-roles");
    roles.replaceChildren(...(profile.roles || []).map((role) => element("li", role)));
  }

  async function profileView(view) {
    const user = storage.get();
    showError(view, null);
    fillProfile(view, user, user.accessToken);
    field(view, "profile-source").textContent = "From the signin answer.";
    // On a fresh load the page renders before its routes are probed: wait for that, or a reloaded
    // profile would keep the signin answer's (possibly stale) roles although /api/auth/me exists.
    if (!features.checked) await detectFeatures();
    if (!features.me || view.hidden) return;
    try {
      const me = await api("GET", "/api/auth/me");
      const current = storage.get();
      if (!current) return;
      fillProfile(view, me, current.accessToken);
      field(view, "profile-source").textContent = "From /api/auth/me.";
      showVerification(me);
      field(view, "change-email").hidden = false;
      // The roles an admin changed since signin: the menu follows them (the boards' own calls then
      // carry a refreshed token, which has them too).
      if (Array.isArray(me.roles)) {
        current.roles = me.roles;
        storage.save(current);
        updateNav();
      }
    } catch (error) {
      showError(view, error);
    }
  }

  function formatTime(value) {
    if (value === null || value === undefined || value === "") return "–";
    const date = typeof value === "number" ? new Date(value < 1e12 ? value * 1000 : value) : new Date(value);
    return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
  }

  async function sessionsView(view) {
    const rows = field(view, "sessions-rows");
    showError(view, null);
    rows.replaceChildren();
    try {
      const answer = await api("GET", "/api/auth/sessions");
      const sessions = Array.isArray(answer) ? answer : (answer && answer.sessions) || [];
      rows.replaceChildren(...sessions.map((session) => sessionRow(view, session)));
    } catch (error) {
      showError(view, error);
    }
  }

  function sessionRow(view, session) {
    const row = element("tr");
    const started = element("td", formatTime(session.createdAt));
    if (session.current) started.append(element("span", "this browser", "badge"));
    row.append(started, element("td", formatTime(session.lastUsedAt)), element("td", session.userAgent || "–"), element("td", session.ip || "–"));
    const end = element("button", "End", "button button-light button-small");
    end.type = "button";
    end.setAttribute("aria-label", `End the session started ${formatTime(session.createdAt)}`);
    end.addEventListener("click", async () => {
      end.disabled = true;
      try {
        await api("DELETE", `/api/auth/sessions/${encodeURIComponent(session.id)}`);
        if (session.current) {
          signedOut("This session has ended.");
          return;
        }
        await sessionsView(view);
      } catch (error) {
        end.disabled = false;
        showError(view, error);
      }
    });
    const cell = element("td");
    cell.append(end);
    row.append(cell);
    return row;
  }

  // Keyset pages: the `after` of every page shown so far (the first is 0), so that Previous goes
  // back without an offset, and Next follows the answer's `next` (null on the last page).
  const usersPage = { limit: 20, q: "", cursors: [0], next: null };

  async function usersView(view) {
    const rows = field(view, "users-rows");
    showError(view, null);
    const after = usersPage.cursors[usersPage.cursors.length - 1];
    const query = new URLSearchParams({ limit: String(usersPage.limit), after: String(after) });
    if (usersPage.q) query.set("q", usersPage.q);
    try {
      const answer = await api("GET", `/api/admin/users?${query}`);
      const users = (answer && answer.users) || [];
      const total = Number(answer && answer.total) || 0;
      usersPage.next = answer && Number.isInteger(answer.next) ? answer.next : null;
      rows.replaceChildren(...users.map((user) => {
        const row = element("tr");
        row.append(
          element("td", user.id),
          element("td", user.username),
          element("td", user.email),
          element("td", (user.roles || []).join(", ")),
          element("td", user.disabled ? "disabled" : "active"),
          element("td", formatTime(user.createdAt)),
        );
        return row;
      }));
      // Every page but the last is full, so a page's position follows from how many came before.
      const start = (usersPage.cursors.length - 1) * usersPage.limit;
      const first = users.length ? start + 1 : 0;
      const of = answer && answer.totalExact === false ? `about ${total}` : String(total);
      field(view, "users-range").textContent = `${first}–${start + users.length} of ${of}`;
      $('[data-action="users-previous"]', view).disabled = usersPage.cursors.length === 1;
      $('[data-action="users-next"]', view).disabled = usersPage.next === null;
    } catch (error) {
      showError(view, error);
    }
  }

  // ------------------------------------------------------------------- forms ---

  const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

  /** The tutorial's client-side checks, with its messages. */
  function validate(form, rules) {
    let first = null;
    for (const [name, check] of Object.entries(rules)) {
      const input = form.elements[name];
      const problem = input.value === "" ? "This field is required!" : check(input.value);
      $(`#${input.getAttribute("aria-describedby")}`).textContent = problem || "";
      if (problem) {
        input.setAttribute("aria-invalid", "true");
        first = first || input;
      } else {
        input.removeAttribute("aria-invalid");
      }
    }
    if (first) first.focus();
    return !first;
  }

  const registerRules = {
    username: (v) => (v.length < 3 || v.length > 20 ? "The username must be between 3 and 20 characters." : null),
    email: (v) => (EMAIL.test(v) ? null : "This is not a valid email."),
    password: (v) => (v.length < 6 || v.length > 40 ? "The password must be between 6 and 40 characters." : null),
  };
  const loginRules = { username: () => null, password: () => null };

  async function submitting(form, work) {
    const button = $('button[type="submit"]', form);
    const error = field(form, "error");
    if (error) error.textContent = "";
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      await work();
    } catch (failure) {
      if (error) error.textContent = failure.message;
    } finally {
      button.disabled = false;
      form.removeAttribute("aria-busy");
    }
  }

  async function onLogin(form) {
    if (!validate(form, loginRules)) return;
    await submitting(form, async () => {
      const user = await api("POST", SIGNIN, {
        body: { username: form.elements.username.value, password: form.elements.password.value },
        auth: false,
      });
      storage.save(user);
      form.reset();
      notify("");
      updateNav();
      await detectFeatures();
      location.hash = "#/profile";
    });
  }

  async function onRegister(form) {
    if (!validate(form, registerRules)) return;
    await submitting(form, async () => {
      const answer = await api("POST", "/api/auth/signup", {
        body: {
          username: form.elements.username.value,
          email: form.elements.email.value,
          password: form.elements.password.value,
        },
        auth: false,
      });
      const view = form.closest("[data-view]");
      form.reset();
      form.hidden = true;
      field(view, "registered-message").textContent = messageOf({ status: 200, data: answer });
      field(view, "registered").hidden = false;
      $("a", field(view, "registered")).focus();
    });
  }

  /** The `token` of a link from a mail: `#/reset-password?token=...`. */
  function linkToken() {
    const query = location.hash.split("?")[1] || "";
    return new URLSearchParams(query).get("token") || "";
  }

  async function onForgot(form) {
    if (!validate(form, { email: registerRules.email })) return;
    await submitting(form, async () => {
      const answer = await api("POST", "/api/auth/password/forgot", { body: { email: form.elements.email.value }, auth: false });
      const done = field(form.closest("[data-view]"), "done");
      done.textContent = messageOf({ status: 200, data: answer });
      done.hidden = false;
      form.reset();
    });
  }

  const resetRules = {
    password: registerRules.password,
    confirm: (v) => (v === $("#reset-password").value ? null : "The passwords do not match."),
  };

  async function onReset(form) {
    if (!validate(form, resetRules)) return;
    await submitting(form, async () => {
      const answer = await api("POST", "/api/auth/password/reset", {
        body: { token: linkToken(), newPassword: form.elements.password.value },
        auth: false,
      });
      const view = form.closest("[data-view]");
      form.reset();
      form.hidden = true;
      // Every session of the account has ended, this browser's too.
      if (storage.get()) {
        storage.clear();
        showVerification(null);
        updateNav();
      }
      field(view, "done-message").textContent = messageOf({ status: 200, data: answer });
      field(view, "done").hidden = false;
    });
  }

  async function onVerify(form) {
    await submitting(form, async () => {
      const answer = await api("POST", "/api/auth/email/verify", { body: { token: linkToken() }, auth: false });
      const done = field(form.closest("[data-view]"), "done");
      form.hidden = true;
      done.textContent = messageOf({ status: 200, data: answer });
      done.hidden = false;
      if (storage.get()) refreshVerification();
    });
  }

  async function onChangeEmail(form) {
    if (!validate(form, { newEmail: registerRules.email, currentPassword: () => null })) return;
    const done = field(form, "done");
    done.textContent = "";
    await submitting(form, async () => {
      const answer = await api("POST", "/api/auth/email", {
        body: { newEmail: form.elements.newEmail.value, currentPassword: form.elements.currentPassword.value },
      });
      form.reset();
      done.textContent = messageOf({ status: 200, data: answer });
    });
  }

  /** A page opened from a mail starts afresh: its form shown, nothing left from an earlier visit. */
  function resetLinkPage(view) {
    const form = $("form", view);
    form.hidden = false;
    showError(form, null);
    const done = field(view, "done");
    done.hidden = true;
    if (!linkToken() && view.dataset.view !== "forgot-password") {
      form.hidden = true;
      showError(view, null);
      done.hidden = false;
      (field(done, "done-message") || done).textContent = "This link has no token: open the link from the mail.";
    }
  }

  async function onLogout() {
    if (storage.get()) {
      try {
        // Ends the session on the server (access and refresh tokens), not only in this browser.
        const answer = await api("POST", "/api/auth/signout");
        signedOut(messageOf({ status: 200, data: answer }));
        return;
      } catch {
        // The tokens go from this browser whatever the server said.
      }
    }
    signedOut("You have been logged out.");
  }

  // ------------------------------------------------------------------ routing ---

  const routes = {
    home: { view: "home", title: "Home", show: homeView },
    login: { view: "login", title: "Log in", guest: true },
    register: { view: "register", title: "Sign up", guest: true, show: resetRegister },
    profile: { view: "profile", title: "Profile", signedIn: true, show: profileView },
    user: { view: "board", title: "User Board", show: (view) => boardView(view, "user") },
    mod: { view: "board", title: "Moderator Board", show: (view) => boardView(view, "mod") },
    admin: { view: "board", title: "Admin Board", show: (view) => boardView(view, "admin") },
    sessions: { view: "sessions", title: "Sessions", signedIn: true, feature: "sessions", show: sessionsView },
    "forgot-password": { view: "forgot-password", title: "Forgot password", show: resetLinkPage },
    "reset-password": { view: "reset-password", title: "Set a new password", show: resetLinkPage },
    "verify-email": { view: "verify-email", title: "Confirm your email address", show: resetLinkPage },
    users: { view: "users", title: "Users", signedIn: true, feature: "users", show: usersView },
  };

  function resetRegister(view) {
    $("form", view).hidden = false;
    field(view, "registered").hidden = true;
  }

  let rendered = null;

  function render() {
    const name = (location.hash.match(/^#\/([a-z-]+)/) || [])[1] || "home";
    const user = storage.get();
    const route = routes[name];
    if (!route) return void (location.hash = "#/home");
    if (route.signedIn && !user) return void (location.hash = "#/login");
    if (route.guest && user) return void (location.hash = "#/profile");
    if (route.feature && !features.checked) return void detectFeatures().then(render);
    if (route.feature && !features[route.feature]) return void (location.hash = "#/profile");
    for (const section of $$("[data-view]")) section.hidden = section.dataset.view !== route.view;
    for (const link of $$("[data-link]")) {
      if (link.dataset.link === name) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    document.title = `${route.title} · auth-backend`;
    const view = $(`[data-view="${route.view}"]`);
    // Move focus to the new page's heading (not on first load), so screen readers follow.
    if (rendered !== null && rendered !== name) $("h1", view).focus();
    if (rendered !== null && rendered !== name && name !== "login") notify("");
    rendered = name;
    if (route.show) route.show(view);
  }

  function start() {
    $('[data-form="login"]').addEventListener("submit", (event) => {
      event.preventDefault();
      onLogin(event.currentTarget);
    });
    $('[data-form="register"]').addEventListener("submit", (event) => {
      event.preventDefault();
      onRegister(event.currentTarget);
    });
    $('[data-form="users"]').addEventListener("submit", (event) => {
      event.preventDefault();
      usersPage.q = event.currentTarget.elements.q.value.trim();
      usersPage.cursors = [0];
      usersView($('[data-view="users"]'));
    });
    $('[data-action="users-previous"]').addEventListener("click", () => {
      if (usersPage.cursors.length > 1) usersPage.cursors.pop();
      usersView($('[data-view="users"]'));
    });
    $('[data-action="users-next"]').addEventListener("click", () => {
      if (usersPage.next === null) return;
      usersPage.cursors.push(usersPage.next);
      usersView($('[data-view="users"]'));
    });
    $('[data-action="logout"]').addEventListener("click", onLogout);
    const forms = {
      "forgot-password": onForgot,
      "reset-password": onReset,
      "verify-email": onVerify,
      "change-email": onChangeEmail,
    };
    for (const [name, handler] of Object.entries(forms)) {
      $(`[data-form="${name}"]`).addEventListener("submit", (event) => {
        event.preventDefault();
        handler(event.currentTarget);
      });
    }
    $('[data-action="resend-verification"]').addEventListener("click", (event) => onResendVerification(event.currentTarget));
    // Another tab signed in or out: follow it.
    window.addEventListener("storage", (event) => {
      if (event.key === storage.key) {
        updateNav();
        render();
      }
    });
    window.addEventListener("hashchange", render);
    updateNav();
    const user = storage.get();
    // A reload of a cookie session: a fresh access token from the refresh cookie before anything else.
    (user && user.cookieSession ? refreshTokens() : Promise.resolve()).finally(() => {
      updateNav();
      render();
      detectFeatures();
    });
  }

  start();
})();

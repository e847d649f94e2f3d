/* The admin page: plain JavaScript over the admin API, no framework, no build step.
 *
 * The admin key lives in sessionStorage (this tab only) and goes out as x-functions-key on
 * every call. Secrets are write-only: the page shows whether each is "set", sends one only
 * when someone typed it, and never receives one back.
 */
"use strict";

const SEVERITIES = ["NOTIFICATION", "LOW", "MEDIUM", "HIGH", "CRITICAL"];
const STATUSES = [
  ["IDENTIFIED", "Identified (required)"],
  ["IN_PROGRESS", "In progress"],
  ["AWAITING_VALIDATION", "Awaiting validation (fix claimed)"],
  ["FIX_ACCEPTED", "Fixed (default: the Completed state)"],
  ["RISK_ACCEPTED", "Risk accepted"],
  ["FALSE_POSITIVE", "False positive"],
  ["VANISHED", "Vanished from Conviso (optional)"],
];
/* A route's "fields" keys (R20, R21): which vulnerability datum goes into which field. */
const FIELD_KEYS = [
  ["due_date", "Due date (a date field)"], ["risk_accepted_until", "Risk accepted until (a date field)"],
  ["severity", "Severity"], ["cve", "CVE"], ["cwe", "CWE"], ["cvss", "CVSS score"],
  ["vulnerability_id", "Vulnerability ID"], ["asset", "Asset"], ["type", "Finding type"],
];
const HOOK_STATUS = { enabled: "enabled", onProbation: "on probation" };
const KEY = "conviso-boards-admin-key";
const $ = (id) => document.getElementById(id);

const page = {
  id: null,          // the integration's id
  stored: null,      // the last configuration read from or saved to the API (public view)
  routes: [],        // the routes being edited: {default, asset_id, project, team, ...}
  typed: {},         // secrets typed in this session, by path (never read from the server)
  discovered: {},    // discovery answers, by request
  cursor: null,
  timer: null,
  routesStale: true, // the route cards need drawing again from page.routes
  urls: null,        // how a delivery links to its card and vulnerability (from the overview)
  assets: null,      // the Conviso assets request, once asked (a promise)
};

/* ------------------------------------------------------------------ calls */

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body) {
  const headers = { "x-functions-key": sessionStorage.getItem(KEY) || "" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let answer;
  try {
    answer = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (exc) {
    throw new ApiError(0, "network", "the app did not answer; is it running?");
  }
  let data = null;
  try { data = await answer.json(); } catch (exc) { data = null; }
  if (!answer.ok) {
    const err = (data && data.error) || {};
    const code = err.code || (answer.status === 401 ? "unauthorized" : "http_" + answer.status);
    const message = err.message || "the request failed (HTTP " + answer.status + ")";
    if (answer.status === 401 && code === "unauthorized") keyRefused();
    throw new ApiError(answer.status, code, message);
  }
  return data;
}

const integrationPath = (suffix) => "integrations/" + encodeURIComponent(page.id) + (suffix || "");

/* ------------------------------------------------------------ key, pick */

function show(screen) {
  for (const name of ["screen-key", "screen-pick"]) $(name).hidden = name !== screen;
  $("workspace").hidden = screen !== "workspace";
  $("forget-key").hidden = screen === "screen-key";
}

function keyRefused() {
  sessionStorage.removeItem(KEY);
  stopAutoRefresh();
  show("screen-key");
  $("key-error").textContent = "The admin key was refused. Enter the app's function key.";
  $("admin-key").focus();
}

async function submitKey(event) {
  event.preventDefault();
  $("key-error").textContent = "";
  sessionStorage.setItem(KEY, $("admin-key").value);
  try {
    await api("GET", "console/session");
  } catch (exc) {
    if (exc.code !== "unauthorized") $("key-error").textContent = exc.message;
    return;
  }
  $("admin-key").value = "";
  show("screen-pick");
  $("integration-id").focus();
}

async function submitPick(event) {
  event.preventDefault();
  const id = $("integration-id").value.trim();
  $("pick-error").textContent = "";
  page.id = id;
  page.typed = {};
  page.urls = null;
  page.assets = null;
  try {
    page.stored = await api("GET", integrationPath());
  } catch (exc) {
    if (exc.status !== 404) { $("pick-error").textContent = exc.message; return; }
    page.stored = null;
  }
  $("current").textContent = "Integration: " + id + (page.stored ? "" : " (new)");
  fillForm(page.stored);
  show("workspace");
  openTab("connect");
  refreshConnection();
}

/* ----------------------------------------------------------------- tabs */

function openTab(name) {
  for (const button of document.querySelectorAll(".tabs button")) {
    const here = button.dataset.tab === name;
    if (here) button.setAttribute("aria-current", "page"); else button.removeAttribute("aria-current");
  }
  for (const tab of document.querySelectorAll(".tab")) tab.hidden = tab.id !== "tab-" + name;
  $("savebar").hidden = name === "check" || name === "deliveries" || name === "overview";
  if (name === "overview") loadOverview();
  if (name === "webhooks") showWebhookUrls();
  if (name === "deliveries") { loadDeliveries(false); startAutoRefresh(); } else stopAutoRefresh();
  if (name === "routes" && page.routesStale) renderRoutes();
}

/* ------------------------------------------------------------- the form */

function secretState(id, path) {
  const set = page.typed[path] || (page.stored && page.stored.secrets && page.stored.secrets[path]);
  $(id).textContent = set ? "set" : "not set";
}

function authMode() {
  return document.querySelector("input[name=auth-mode]:checked").value;
}

function showAuthFields() {
  const mode = authMode();
  $("pat-field").hidden = mode !== "pat";
  $("oauth-field").hidden = mode !== "oauth";
  $("sp-field").hidden = mode !== "service_principal";
}

function fillForm(config) {
  const c = config || {};
  $("organization").value = c.organization || "";
  const mode = (c.auth && c.auth.mode) || "pat";
  document.querySelector("input[name=auth-mode][value=" + mode + "]").checked = true;
  showAuthFields();
  for (const id of ["pat", "api-key", "hook-token", "event-secret"]) $(id).value = "";
  for (const button of document.querySelectorAll("button.reveal[aria-pressed=true]")) button.click();
  $("company-id").value = (c.conviso && c.conviso.company_id) || "";
  $("portal-url").value = (c.conviso && c.conviso.portal_url) || "https://app.convisoappsec.com";
  const map = c.severity_map || { LOW: 4, MEDIUM: 3, HIGH: 2, CRITICAL: 1 };
  for (const sev of SEVERITIES) $("prio-" + sev).value = map[sev] ? String(map[sev]) : "";
  const policy = c.severity_policy || ["MEDIUM", "HIGH", "CRITICAL"];
  document.querySelector("input[name=policy][value=" + (policy === "all" ? "all" : "some") + "]").checked = true;
  for (const sev of SEVERITIES) $("policy-" + sev).checked = policy === "all" || policy.includes(sev);
  page.routes = (c.routes || []).map((r) => ({ ...r, status_map: { ...r.status_map },
    fields: { ...(r.fields || {}) }, severity_values: { ...(r.severity_values || {}) }, defaults: { ...(r.defaults || {}) } }));
  if (!page.routes.length) page.routes.push(emptyRoute(true));
  page.routesStale = true;
  refreshSecretStates();
  clearErrors();
  $("save-result").textContent = "";
  $("check-table").hidden = true;
  $("check-summary").textContent = "";
  $("hooks-table").hidden = true;
}

function refreshSecretStates() {
  secretState("pat-state", "auth.pat");
  secretState("api-key-state", "conviso.api_key");
  secretState("hook-token-state", "webhook.token");
  secretState("event-secret-state", "event_secret");
}

function emptyRoute(isDefault) {
  return { default: isDefault, asset_id: isDefault ? null : "", project: "", team: "", board: "",
    work_item_type: "", lane: null, status_map: {}, fields: {}, severity_values: {}, defaults: {} };
}

function buildSeverityControls() {
  const map = $("severity-map");
  const policy = $("policy-severities");
  for (const sev of SEVERITIES) {
    const field = document.createElement("div");
    field.className = "field";
    const label = document.createElement("label");
    label.htmlFor = "prio-" + sev;
    label.textContent = sev + (sev === "NOTIFICATION" ? " (optional)" : "");
    const select = document.createElement("select");
    select.id = "prio-" + sev;
    select.dataset.field = "severity_map." + sev;
    if (sev === "NOTIFICATION") select.append(new Option("— no card priority —", ""));
    for (const p of [1, 2, 3, 4]) select.append(new Option("Priority " + p, String(p)));
    field.append(label, select);
    map.append(field);
    const check = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.id = "policy-" + sev;
    check.append(box, " " + sev);
    policy.append(check);
  }
}

function secretInput(id, path) {
  const value = $(id).value;
  if (value) page.typed[path] = true;
  return value || undefined;
}

function configFromForm() {
  const severityMap = {};
  for (const sev of SEVERITIES) {
    const v = $("prio-" + sev).value;
    if (v) severityMap[sev] = Number(v);
  }
  const policy = document.querySelector("input[name=policy]:checked").value === "all"
    ? "all" : SEVERITIES.filter((s) => $("policy-" + s).checked);
  const auth = { mode: authMode() };
  if (auth.mode === "pat") auth.pat = secretInput("pat", "auth.pat");
  const config = {
    organization: $("organization").value.trim(),
    auth,
    conviso: {
      company_id: $("company-id").value.trim(),
      api_key: secretInput("api-key", "conviso.api_key"),
      portal_url: $("portal-url").value.trim(),
    },
    event_secret: secretInput("event-secret", "event_secret"),
    webhook: {
      token: secretInput("hook-token", "webhook.token"),
      basic_username: page.stored && page.stored.webhook ? page.stored.webhook.basic_username : null,
    },
    severity_policy: policy,
    severity_map: severityMap,
    routes: page.routes.map(routeForSave),
  };
  if (page.stored && page.stored.service_identity) config.service_identity = page.stored.service_identity;
  return JSON.parse(JSON.stringify(config)); // drops the undefined (unchanged) secrets
}

function routeForSave(r) {
  const out = { project: r.project, team: r.team, board: r.board, work_item_type: r.work_item_type,
    lane: r.lane || null, status_map: {} };
  const tags = (r.asset_tags_text !== undefined ? r.asset_tags_text.split(",") : r.asset_tags || [])
    .map((t) => t.trim()).filter((t) => t);
  if (r.default) out.default = true;
  else if (tags.length && !(r.asset_id || "").trim()) out.asset_tags = tags;
  else out.asset_id = (r.asset_id || "").trim();
  if (r.area_path) out.area_path = r.area_path;
  if (r.iteration_path) out.iteration_path = r.iteration_path;
  const nonEmpty = (obj) => Object.fromEntries(Object.entries(obj || {}).filter(([, v]) => v !== "" && v != null));
  if (Object.keys(nonEmpty(r.fields)).length) out.fields = nonEmpty(r.fields);
  if (Object.keys(nonEmpty(r.severity_values)).length) out.severity_values = nonEmpty(r.severity_values);
  if (Object.keys(nonEmpty(r.defaults)).length) out.defaults = nonEmpty(r.defaults);
  for (const [status, target] of Object.entries(r.status_map)) {
    const t = {};
    if (target.state) t.state = target.state;
    if (target.column) t.column = target.column;
    if (t.state || t.column) out.status_map[status] = t;
  }
  return out;
}

/* ------------------------------------------------------ errors by field */

function clearErrors() {
  for (const el of document.querySelectorAll(".field-error")) el.textContent = "";
  for (const el of document.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of document.querySelectorAll(".tabs button")) el.classList.remove("has-error");
}

function fieldError(errorId, inputEl, message) {
  const target = $(errorId);
  if (!target) return false;
  target.textContent = target.textContent ? target.textContent + " " + message : message;
  if (inputEl) inputEl.setAttribute("aria-invalid", "true");
  const tab = target.closest(".tab");
  if (tab) document.querySelector(".tabs button[data-tab=" + tab.id.slice(4) + "]").classList.add("has-error");
  return true;
}

/* Place "path: message" parts of a 400 next to their field (the API names fields as the
 * configuration spells them: routes[1].status_map.IDENTIFIED, severity_policy[1]); the
 * parts no field shows are returned, for the save result. The first tab with one opens. */
function showSaveErrors(message) {
  let first = null;
  const unplaced = [];
  for (const part of message.split("; ")) {
    const placed = placeError(part);
    first = first || placed;
    if (!placed) unplaced.push(part);
  }
  if (first) openTab(first);
  return unplaced;
}

function placeError(part) {
  let m = part.match(/^routes\[(\d+)\]\.(fields|severity_values|defaults)(?:\.([\w.]+))?:\s*(.*)$/);
  if (m && Number(m[1]) < page.routes.length) return extraError(Number(m[1]), m[2], m[3], m[4]);
  m = part.match(/^routes\[(\d+)\](?:\.([A-Za-z_]+)(?:\.([A-Z_]+))?)?:\s*(.*)$/);
  if (m && Number(m[1]) < page.routes.length) return routeError(Number(m[1]), m[2], m[3], m[4]);
  m = part.match(/^severity_policy(?:\[\d+\])?:\s*(.*)$/);
  if (m && fieldError("severity_policy-error", null, part)) return "severity";
  m = part.match(/^route ([\w-]+): (?:status_map\.([A-Z_]+): )?(.*)$/);
  if (m) {
    const index = page.routes.findIndex((r) => routeKey(r) === m[1]);
    if (index >= 0) return routeError(index, m[2] ? "status_map" : guessRouteField(m[3]), m[2], m[3]);
  }
  m = part.match(/^([a-z_]+(?:\.[A-Za-z_]+)?):\s*(.*)$/);
  if (m) {
    const input = document.querySelector("[data-field='" + m[1] + "']");
    const errorId = input ? (input.getAttribute("aria-describedby") || "").split(" ").pop() : m[1] + "-error";
    const key = m[1].startsWith("severity_map") ? "severity_map" : m[1];
    if (fieldError(errorId && $(errorId) ? errorId : key + "-error", input, m[2])) {
      const tab = ($(errorId) || $(key + "-error")).closest(".tab");
      return tab ? tab.id.slice(4) : null;
    }
  }
  return null;
}

function guessRouteField(text) {
  for (const name of ["lane", "board", "team", "project"]) if (text.includes(name)) return name;
  if (text.includes("work item type")) return "work_item_type";
  return null;
}

function routeKey(r) { return r.default ? "default" : "asset-" + r.asset_id; }

function routeError(index, field, status, text) {
  if (page.routesStale) renderRoutes();
  const prefix = "route-" + index + "-";
  if (field === "status_map" && status && $(prefix + "state-" + status)) {
    fieldError(prefix + "status-" + status + "-error", $(prefix + "state-" + status), text);
  } else if (field && $(prefix + field)) {
    fieldError(prefix + field + "-error", $(prefix + field), text);
  } else {
    fieldError(prefix + "error", null, (field ? field + ": " : "") + text);
  }
  return "routes";
}

function extraError(index, kind, key, text) {
  if (page.routesStale) renderRoutes();
  const prefix = "route-" + index + "-";
  const more = $(prefix + "more");
  if (more) more.open = true;
  const input = key ? document.querySelector("[data-route='" + index + "'][data-" + kind.replace("_", "-") + "='" + key + "']") : null;
  if (input && input.id) fieldError(input.id + "-error", input, text);
  else fieldError(prefix + "error", null, kind + (key ? "." + key : "") + ": " + text);
  return "routes";
}

/* ---------------------------------------------------------------- save */

async function save() {
  clearErrors();
  const result = $("save-result");
  result.className = "";
  result.textContent = "Saving…";
  if (!page.routes.every((r) => r.status_map.IDENTIFIED && (r.status_map.IDENTIFIED.state || r.status_map.IDENTIFIED.column))) {
    page.routes.forEach((r, i) => {
      const t = r.status_map.IDENTIFIED;
      if (!t || !(t.state || t.column)) routeError(i, "status_map", "IDENTIFIED", "choose where an identified vulnerability goes (required)");
    });
    result.className = "bad";
    result.textContent = "Not saved: see the fields marked in red.";
    openTab("routes");
    return;
  }
  ensureHookSecrets();
  $("save").disabled = true;
  try {
    const answer = await api("PUT", integrationPath(), configFromForm());
    page.stored = answer;
    page.urls = null;
    page.assets = null;
    result.className = "good";
    result.textContent = "Saved." + (answer.warnings && answer.warnings.length ? " Warnings: " + answer.warnings.join("; ") : "");
    $("current").textContent = "Integration: " + page.id;
    refreshSecretStates();
    showWebhookUrls();
    refreshConnection();
  } catch (exc) {
    result.className = "bad";
    if (exc.status === 400) {
      const unplaced = showSaveErrors(exc.message);
      const placed = unplaced.length < exc.message.split("; ").length;
      result.textContent = "Not saved: " + [unplaced.join("; "), placed ? "see the fields marked in red." : ""]
        .filter((t) => t).join(" — ");
    } else {
      result.textContent = "Not saved: " + exc.message;
    }
  } finally {
    $("save").disabled = false;
  }
}

/* A new integration gets a webhook token and an event secret made here, shown this once. */
function ensureHookSecrets() {
  const secrets = (page.stored && page.stored.secrets) || {};
  if (!secrets["webhook.token"] && !$("hook-token").value) $("hook-token").value = randomSecret();
  if (!secrets.event_secret && !$("event-secret").value) $("event-secret").value = randomSecret();
}

function randomSecret() {
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/* ------------------------------------------------------------ connect */

function discoveryBody(what, extra) {
  const auth = { mode: authMode() };
  if (auth.mode === "pat" && $("pat").value) auth.pat = $("pat").value;
  return { what, integration: page.id, organization: $("organization").value.trim() || undefined, auth, ...extra };
}

async function discover(what, extra) {
  const body = discoveryBody(what, extra || {});
  const key = JSON.stringify(body);
  if (!(key in page.discovered)) page.discovered[key] = api("POST", "console/discovery", body).then((a) => a.items);
  try {
    return await page.discovered[key];
  } catch (exc) {
    delete page.discovered[key];
    throw exc;
  }
}

async function testConnection() {
  clearErrors();
  page.discovered = {};
  const status = $("connection-status");
  status.replaceChildren(note("Connecting…"));
  try {
    const who = await discover("connection");
    const projects = await discover("projects");
    status.replaceChildren(note("Connected to " + $("organization").value + " as " + who.account
      + " (" + projects.length + " project(s) visible).", "good"));
    // the route drop-downs were filled (or left empty) with the credentials before: fill them again
    page.routesStale = true;
    if (!$("tab-routes").hidden) renderRoutes();
  } catch (exc) {
    status.replaceChildren(note("Not connected: " + exc.message, "bad"));
    if (exc.message.startsWith("organization")) fieldError("organization-error", $("organization"), exc.message);
  }
}

async function refreshConnection() {
  const status = $("connection-status");
  if (!page.stored) { status.replaceChildren(note("New integration: enter the organization and a way to sign in, then test the connection.")); return; }
  try {
    const s = await api("GET", "console/" + integrationPath("/connection"));
    const parts = [];
    if (s.needs_reauthorization) {
      parts.push(note("Re-authorization needed: " + (s.reauthorization_reason || "sign in with Microsoft again") + ".", "bad"));
    }
    if (s.account) parts.push(note("Connected to " + s.organization + " as " + s.account + " (" + s.auth_mode + ").", "good"));
    else parts.push(note("Not connected: " + (s.account_error || "unknown reason"), "bad"));
    status.replaceChildren(...parts);
  } catch (exc) {
    status.replaceChildren(note(exc.message, "bad"));
  }
}

function note(text, kind) {
  const p = document.createElement("p");
  p.textContent = text;
  if (kind) p.className = kind;
  return p;
}

async function signIn() {
  $("auth-error").textContent = "";
  if (!page.stored || page.stored.auth.mode !== "oauth") {
    $("auth-error").textContent = "Save the configuration with \"Sign in with Microsoft\" chosen first.";
    return;
  }
  try {
    const answer = await api("POST", "console/integrations/" + encodeURIComponent(page.id) + "/sign-in");
    window.location.assign(answer.authorize_url);
  } catch (exc) {
    $("auth-error").textContent = exc.message;
  }
}

/* ------------------------------------------------------------- routes */

function renderRoutes() {
  const holder = $("routes");
  page.routesStale = false;
  holder.replaceChildren(...page.routes.map(routeCard));
  page.routes.forEach((r, i) => fillRouteOptions(i));
}

function labelled(id, text, control, help) {
  const field = document.createElement("div");
  field.className = "field";
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = text;
  control.id = id;
  const error = document.createElement("p");
  error.className = "field-error";
  error.id = id + "-error";
  control.setAttribute("aria-describedby", error.id);
  field.append(label, control);
  if (help) field.append(Object.assign(document.createElement("p"), { className: "help", textContent: help }));
  field.append(error);
  return field;
}

function select(value, onchange) {
  const s = document.createElement("select");
  s.addEventListener("change", () => onchange(s.value));
  s.dataset.value = value || "";
  return s;
}

function routeCard(route, index) {
  const card = document.createElement("section");
  card.className = "route";
  const prefix = "route-" + index + "-";
  card.setAttribute("aria-labelledby", prefix + "title");
  const title = document.createElement("h3");
  title.id = prefix + "title";
  title.textContent = route.default ? "Default route (every asset)" : "Route for one asset";
  if (!route.default) {
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", "Remove route " + (index + 1));
    remove.addEventListener("click", () => { page.routes.splice(index, 1); renderRoutes(); });
    title.append(remove);
  }
  const error = Object.assign(document.createElement("p"), { className: "field-error", id: prefix + "error" });
  const where = document.createElement("div");
  where.className = "where";
  if (!route.default) where.append(assetPicker(route, prefix));
  const change = (field, resets) => (value) => {
    route[field] = value || (field === "lane" ? null : "");
    for (const r of resets) { if (r === "status_map") route.status_map = {}; else route[r] = r === "lane" ? null : ""; }
    fillRouteOptions(index);
  };
  where.append(
    labelled(prefix + "project", "Project", select(route.project, change("project", ["team", "board", "work_item_type", "lane", "status_map"]))),
    labelled(prefix + "team", "Team", select(route.team, change("team", ["board", "lane"]))),
    labelled(prefix + "board", "Board", select(route.board, change("board", ["lane"]))),
    labelled(prefix + "work_item_type", "Work item type", select(route.work_item_type, change("work_item_type", ["status_map"]))),
    labelled(prefix + "lane", "Lane (optional)", select(route.lane, change("lane", []))),
  );
  card.append(title, error, where, statusTable(route, index), moreOptions(route, index));
  return card;
}

function statusTable(route, index) {
  const prefix = "route-" + index + "-";
  const table = document.createElement("table");
  table.innerHTML = "<caption>Status map: where each Conviso status puts the card</caption>"
    + "<thead><tr><th scope='col'>Conviso status</th><th scope='col'>State</th><th scope='col'>Board column</th></tr></thead>";
  const body = document.createElement("tbody");
  for (const [status, text] of STATUSES) {
    const row = document.createElement("tr");
    const name = document.createElement("th");
    name.scope = "row";
    name.id = prefix + "status-" + status;
    name.textContent = text;
    const cells = ["state", "column"].map((kind) => {
      const cell = document.createElement("td");
      const s = select((route.status_map[status] || {})[kind], (value) => {
        const target = { ...(route.status_map[status] || {}) };
        if (value) target[kind] = value; else delete target[kind];
        route.status_map[status] = target;
      });
      s.id = prefix + kind + "-" + status;
      s.dataset.kind = kind;
      s.dataset.status = status;
      s.setAttribute("aria-label", text + ": " + kind);
      cell.append(s);
      if (kind === "state") {
        const error = Object.assign(document.createElement("p"), { className: "field-error", id: prefix + "status-" + status + "-error" });
        s.setAttribute("aria-describedby", error.id);
        cell.append(error);
      }
      return cell;
    });
    row.append(name, ...cells);
    body.append(row);
  }
  table.append(body);
  return table;
}

function setOptions(s, items, blank) {
  const keep = s.dataset.value;
  s.replaceChildren(new Option(blank, ""));
  for (const item of items) {
    const value = typeof item === "string" ? item : item.value;
    const text = typeof item === "string" ? item : item.text;
    s.append(new Option(text, value));
  }
  if (keep && !Array.from(s.options).some((o) => o.value === keep)) s.append(new Option(keep + " (not found)", keep));
  s.value = keep || "";
}

async function fillRouteOptions(index) {
  const route = page.routes[index];
  const prefix = "route-" + index + "-";
  const el = (name) => $(prefix + name);
  if (!el("project")) return;
  for (const name of ["project", "team", "board", "work_item_type", "lane"]) el(name).dataset.value = route[name] || "";
  const attempt = async (name, what, extra, blank, shape) => {
    try {
      setOptions(el(name), (await discover(what, extra)).map(shape || ((x) => x)), blank);
    } catch (exc) {
      setOptions(el(name), [], blank);
      if (exc.code !== "unauthorized") fieldError(prefix + name + "-error", el(name), exc.message);
    }
  };
  const { project, team, board, work_item_type: type } = route;
  await attempt("project", "projects", {}, "— choose a project —");
  if (!project) { for (const n of ["team", "board", "work_item_type", "lane"]) setOptions(el(n), [], "— choose the project first —"); }
  else {
    await Promise.all([
      attempt("team", "teams", { project }, "— choose a team —"),
      attempt("work_item_type", "types", { project }, "— choose a type —"),
    ]);
    if (team) await attempt("board", "boards", { project, team }, "— choose a board —");
    else setOptions(el("board"), [], "— choose the team first —");
  }
  let columns = [];
  let states = [];
  if (project && team && board) {
    try {
      const layout = await discover("board", { project, team, board });
      setOptions(el("lane"), layout.lanes.filter((l) => l), "— default lane —");
      columns = layout.columns.map((c) => ({ value: c.name, text: c.name + (c.state_mappings[type] ? " → " + c.state_mappings[type] : "") }));
    } catch (exc) {
      fieldError(prefix + "board-error", el("board"), exc.message);
    }
  } else setOptions(el("lane"), [], "— choose the board first —");
  if (project && type) {
    try {
      states = (await discover("states", { project, work_item_type: type })).map((s) => ({ value: s.name, text: s.name + " (" + s.category + ")" }));
    } catch (exc) {
      fieldError(prefix + "work_item_type-error", el("work_item_type"), exc.message);
    }
  }
  for (const [status] of STATUSES) {
    const target = route.status_map[status] || {};
    const stateSel = $(prefix + "state-" + status);
    const columnSel = $(prefix + "column-" + status);
    stateSel.dataset.value = target.state || "";
    columnSel.dataset.value = target.column || "";
    setOptions(stateSel, states, type ? "— keep / none —" : "— choose the type first —");
    setOptions(columnSel, columns, board ? "— none —" : "— choose the board first —");
  }
  await fillExtras(index);
}

/* ------------------------------------------------------------ webhooks */

function showWebhookUrls() {
  const base = new URL("integrations/" + encodeURIComponent(page.id), document.baseURI).href;
  const token = $("hook-token").value;
  $("boards-url").value = base + "/boards-webhook?token=" + (token || "<webhook token>");
  $("boards-url-help").textContent = token
    ? "Copy it now: the token is stored sealed and is never shown again."
    : "The token is stored and never shown. Generate a new one (then save) to see a complete URL.";
  $("conviso-url").value = base + "/conviso-events";
}

async function copy(event) {
  const button = event.currentTarget;
  const input = $(button.dataset.copy);
  const help = $(input.id + "-help");
  if (!input.value) {
    // a stored secret is sealed and never sent back: there is nothing here to copy
    if (help) help.textContent = "The stored secret is never shown again. Generate a new one, copy it, then save.";
    return;
  }
  try {
    await navigator.clipboard.writeText(input.value);
  } catch (exc) {
    const type = input.type;
    input.type = "text"; // a password field cannot be copied from
    input.select();
    document.execCommand("copy");
    input.type = type;
  }
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = "Copy"; }, 1500);
}

function reveal(event) {
  const button = event.currentTarget;
  const input = $(button.dataset.reveal);
  const shown = input.type === "password";
  input.type = shown ? "text" : "password";
  button.textContent = shown ? "Hide" : "Show";
  button.setAttribute("aria-pressed", String(shown));
  button.setAttribute("aria-label", button.getAttribute("aria-label").replace(shown ? "Show" : "Hide", shown ? "Hide" : "Show"));
}

async function createHooks() {
  $("hooks-error").textContent = "";
  const button = $("create-hooks");
  button.disabled = true;
  try {
    const answer = await api("POST", integrationPath("/service-hooks"));
    const rows = answer.items || answer.subscriptions || answer.hooks || [];
    const body = $("hooks-table").querySelector("tbody");
    body.replaceChildren(...rows.map((h) => {
      const tr = document.createElement("tr");
      const status = h.status || "unknown";
      const shown = HOOK_STATUS[status] || (status.startsWith("disabled") ? "disabled (" + status + ")" : status);
      for (const text of [h.project || "", h.field || h.changed_fields || h.changedFields || "", shown]) {
        tr.append(Object.assign(document.createElement("td"), { textContent: text }));
      }
      return tr;
    }));
    $("hooks-table").hidden = false;
  } catch (exc) {
    $("hooks-error").textContent = exc.message;
  } finally {
    button.disabled = false;
  }
}

/* --------------------------------------------------------------- check */

async function runCheck() {
  const button = $("run-check");
  button.disabled = true;
  $("check-summary").textContent = "Checking…";
  try {
    const report = await api("POST", integrationPath("/check"));
    const failed = report.items.filter((i) => !i.ok).length;
    $("check-summary").textContent = report.ok ? "Everything works (" + report.items.length + " items)."
      : failed + " of " + report.items.length + " items failed.";
    $("check-table").querySelector("tbody").replaceChildren(...report.items.map((i) => {
      const tr = document.createElement("tr");
      tr.append(
        Object.assign(document.createElement("td"), { className: i.ok ? "ok" : "bad", textContent: i.ok ? "✓ passed" : "✗ failed" }),
        Object.assign(document.createElement("td"), { textContent: i.item }),
        Object.assign(document.createElement("td"), { textContent: i.reason }),
      );
      return tr;
    }));
    $("check-table").hidden = false;
  } catch (exc) {
    $("check-summary").textContent = exc.message;
  } finally {
    button.disabled = false;
  }
}

/* ----------------------------------------------------------- deliveries */

function deliveryQuery(cursor) {
  const params = new URLSearchParams({ limit: "50" });
  const level = $("filter-level").value;
  const text = $("filter-text").value.trim();
  if (level) params.set("level", level);
  if (text) params.set("text", text);
  for (const [name, id] of [["since", "filter-since"], ["until", "filter-until"]]) {
    if ($(id).value) params.set(name, new Date($(id).value).toISOString());
  }
  if (cursor) params.set("cursor", cursor);
  return params.toString();
}

async function loadDeliveries(more) {
  $("deliveries-error").textContent = "";
  try {
    await deliveryUrls();
    const page_ = await api("GET", integrationPath("/deliveries") + "?" + deliveryQuery(more ? page.cursor : null));
    const body = $("deliveries-table").querySelector("tbody");
    const rows = page_.items.map(deliveryRow);
    if (more) body.append(...rows); else body.replaceChildren(...rows);
    if (!more && !rows.length) {
      const tr = document.createElement("tr");
      tr.append(Object.assign(document.createElement("td"), { colSpan: 6, textContent: "Nothing recorded yet." }));
      body.append(tr);
    }
    page.cursor = page_.next_cursor;
    $("more-deliveries").hidden = !page.cursor;
  } catch (exc) {
    $("deliveries-error").textContent = exc.message;
  }
}

function deliveryRow(d) {
  const tr = document.createElement("tr");
  tr.className = "row-" + d.level;
  const time = new Date(d.time);
  const cells = [
    Object.assign(document.createElement("td"), { textContent: time.toLocaleString() }),
    Object.assign(document.createElement("td"), { className: "level-" + d.level, textContent: d.level }),
    Object.assign(document.createElement("td"), { textContent: d.message }),
    vulnerabilityLink(d.vulnerability_id),
    workItemLink(d.work_item_id, d.route_key),
    document.createElement("td"),
  ];
  if (d.reason === "poisoned") {
    const replay = document.createElement("button");
    replay.type = "button";
    replay.textContent = "Replay";
    replay.setAttribute("aria-label", "Replay poison messages" + (d.vulnerability_id ? " (vulnerability " + d.vulnerability_id + ")" : ""));
    replay.addEventListener("click", async () => {
      replay.disabled = true;
      try {
        const answer = await api("POST", integrationPath("/replay"));
        replay.textContent = "Replayed " + answer.total;
        loadDeliveries(false);
      } catch (exc) {
        $("deliveries-error").textContent = exc.message;
        replay.disabled = false;
      }
    });
    cells[5].append(replay);
  }
  tr.append(...cells);
  return tr;
}

function startAutoRefresh() {
  stopAutoRefresh();
  page.timer = setInterval(() => {
    if ($("auto-refresh").checked && !$("tab-deliveries").hidden && !page.cursor) loadDeliveries(false);
  }, 5000);
}

function stopAutoRefresh() {
  if (page.timer) clearInterval(page.timer);
  page.timer = null;
}

/* -------------------------------------------------- asset picker, more options */

/* The company's Conviso assets (id, name, tags), asked once per integration and save. */
function loadAssets() {
  if (!page.assets) {
    page.assets = api("GET", integrationPath("/discovery/assets")).then((a) => a.items);
    page.assets.catch(() => { page.assets = null; });
  }
  return page.assets;
}

function assetPicker(route, prefix) {
  const holder = document.createElement("div");
  holder.className = "asset-picker";
  const search = Object.assign(document.createElement("input"), { type: "search", autocomplete: "off" });
  const list = document.createElement("select");
  list.size = 5;
  const note = Object.assign(document.createElement("p"), { className: "help", id: prefix + "asset-note" });
  let items = null;
  const fill = () => {
    const wanted = search.value.trim().toLowerCase();
    const shown = items.filter((a) => (a.name + " #" + a.id + " " + a.tags.join(" ")).toLowerCase().includes(wanted));
    list.dataset.value = route.asset_id || "";
    setOptions(list, shown.map((a) => ({ value: a.id,
      text: a.name + " (#" + a.id + ")" + (a.tags.length ? " — " + a.tags.join(", ") : "") })), "— none chosen —");
    note.textContent = shown.length + " of " + items.length + " assets" + (wanted ? " match" : "") + ".";
  };
  list.addEventListener("change", () => { route.asset_id = list.value; });
  search.addEventListener("input", () => {
    if (items) fill(); else { route.asset_id = search.value.trim(); }
  });
  list.dataset.value = route.asset_id || "";
  setOptions(list, [], "— loading the assets —");
  if (!page.stored) {
    note.textContent = "Save the Conviso company and API key first to choose from the list; until then, type the asset ID in the search box.";
  } else {
    loadAssets().then((found) => { items = found; fill(); }, (exc) => {
      if (exc.code === "unauthorized") return;
      note.textContent = "The asset list is not available (" + exc.message + "); type the asset ID in the search box.";
    });
  }
  holder.append(
    labelled(prefix + "asset-search", "Search Conviso assets (name, ID or tag)", search),
    labelled(prefix + "asset_id", "Conviso asset", list), note);
  return holder;
}

/* Discovery through the saved integration (the configuration's own credentials). */
async function savedDiscovery(path) {
  const key = "saved " + page.id + " " + path;
  if (!(key in page.discovered)) page.discovered[key] = api("GET", integrationPath("/discovery/" + path)).then((a) => a.items);
  try {
    return await page.discovered[key];
  } catch (exc) {
    delete page.discovered[key];
    throw exc;
  }
}

function textInput(value, onchange, attrs) {
  const input = Object.assign(document.createElement("input"), { value: value == null ? "" : String(value), autocomplete: "off" });
  for (const [k, v] of Object.entries(attrs || {})) input.setAttribute(k, v);
  input.addEventListener("input", () => onchange(input.value.trim()));
  return input;
}

function datalist(id) {
  return Object.assign(document.createElement("datalist"), { id });
}

function moreOptions(route, index) {
  const prefix = "route-" + index + "-";
  const more = document.createElement("details");
  more.id = prefix + "more";
  const summary = document.createElement("summary");
  summary.textContent = "More options: area and iteration, asset tags, fields, severity values, defaults";
  const where = document.createElement("div");
  where.className = "extra";
  const area = textInput(route.area_path, (v) => { route.area_path = v || null; }, { list: prefix + "areas" });
  where.append(
    labelled(prefix + "area_path", "Area path (optional)", area, "One of the team's areas, or below one that includes its children."),
    datalist(prefix + "areas"),
    labelled(prefix + "iteration_path", "Iteration path (optional)",
      textInput(route.iteration_path, (v) => { route.iteration_path = v || null; })),
  );
  if (!route.default) {
    route.asset_tags_text = route.asset_tags_text !== undefined ? route.asset_tags_text : (route.asset_tags || []).join(", ");
    where.append(labelled(prefix + "asset_tags", "Or: Conviso asset tags (comma-separated)",
      textInput(route.asset_tags_text, (v) => { route.asset_tags_text = v; }),
      "Serves every asset holding any of these tags, when no asset is chosen above."));
  }
  const fields = document.createElement("fieldset");
  fields.className = "extra";
  fields.append(Object.assign(document.createElement("legend"), { textContent: "Vulnerability data into fields (optional)" }),
    datalist(prefix + "field-names"), datalist(prefix + "date-field-names"));
  for (const [key, text] of FIELD_KEYS) {
    const dated = key === "due_date" || key === "risk_accepted_until";
    const input = textInput(route.fields[key], (v) => { route.fields[key] = v; if (key === "severity") fillExtras(index); },
      { list: prefix + (dated ? "date-field-names" : "field-names"), placeholder: "e.g. Custom.CVE" });
    input.dataset.route = String(index);
    input.dataset.fields = key;
    fields.append(labelled(prefix + "field-" + key, text, input));
  }
  const severities = document.createElement("fieldset");
  severities.className = "extra";
  severities.append(Object.assign(document.createElement("legend"), { textContent: "Severity values (for the Severity field)" }));
  for (const sev of SEVERITIES) {
    const s = select(route.severity_values[sev], (v) => { route.severity_values[sev] = v; });
    s.dataset.route = String(index);
    s.dataset.severityValues = sev;
    setOptions(s, [], "— choose the Severity field first —");
    severities.append(labelled(prefix + "severity-" + sev, "Value for " + sev, s));
  }
  const defaults = document.createElement("fieldset");
  defaults.id = prefix + "defaults";
  defaults.append(Object.assign(document.createElement("legend"), { textContent: "Defaults for required fields" }),
    Object.assign(document.createElement("p"), { className: "help", id: prefix + "defaults-help",
      textContent: "Choose the work item type to see which fields it requires." }));
  more.append(summary, where, fields, severities, defaults);
  if (Object.keys(route.fields).length || Object.keys(route.defaults).length || route.area_path || route.asset_tags) more.open = true;
  return more;
}

/* Area choices, field names, severity values and default rows, from the saved integration. */
async function fillExtras(index) {
  const route = page.routes[index];
  const prefix = "route-" + index + "-";
  if (!$(prefix + "more") || !page.stored) return;
  const { project, team, work_item_type: type } = route;
  const enc = encodeURIComponent;
  if (project && team) {
    try {
      const areas = await savedDiscovery("projects/" + enc(project) + "/teams/" + enc(team) + "/areas");
      $(prefix + "areas").replaceChildren(...areas.map((a) => new Option(a.path + (a.include_children ? " (and below)" : "") + (a.default ? " — default" : ""), a.path)));
    } catch (exc) { /* a team without areas yet: the field stays free text */ }
  }
  let fields = [];
  if (project && type) {
    try {
      fields = await savedDiscovery("projects/" + enc(project) + "/workitemtypes/" + enc(type) + "/fields");
    } catch (exc) {
      if (exc.code !== "unauthorized") $(prefix + "defaults-help").textContent = "The type's fields are not available: " + exc.message;
      return;
    }
  }
  const option = (f) => new Option(f.name + " (" + f.reference_name + ")", f.reference_name);
  $(prefix + "field-names").replaceChildren(...fields.map(option));
  $(prefix + "date-field-names").replaceChildren(...fields.filter((f) => /date/i.test(f.reference_name + " " + f.name)).map(option));
  const severityField = fields.find((f) => f.reference_name === route.fields.severity);
  const allowed = severityField ? severityField.allowed_values : [];
  for (const sev of SEVERITIES) {
    const s = $(prefix + "severity-" + sev);
    s.dataset.value = route.severity_values[sev] || "";
    setOptions(s, allowed, route.fields.severity ? "— not set —" : "— choose the Severity field first —");
  }
  const required = fields.filter((f) => f.required && !f.has_default);
  const box = $(prefix + "defaults");
  const legend = box.querySelector("legend");
  const help = $(prefix + "defaults-help");
  help.textContent = !type ? "Choose the work item type to see which fields it requires."
    : required.length ? "The type requires these fields and gives them no default value." : "The type requires no field without a default.";
  const names = new Set([...required.map((f) => f.reference_name), ...Object.keys(route.defaults)]);
  const rows = [...names].map((name) => {
    const known = fields.find((f) => f.reference_name === name);
    const input = known && known.allowed_values.length ? select(route.defaults[name], (v) => { route.defaults[name] = v; })
      : textInput(route.defaults[name], (v) => { route.defaults[name] = v; });
    if (input.tagName === "SELECT") { input.dataset.value = route.defaults[name] || ""; setOptions(input, known.allowed_values, "— choose —"); }
    input.dataset.route = String(index);
    input.dataset.defaults = name;
    const row = labelled(prefix + "default-" + name.replace(/\W/g, "_"), (known ? known.name + " (" + name + ")" : name) + (known && known.required ? ", required" : ""), input);
    row.classList.add("defaults-row");
    return row;
  });
  box.replaceChildren(legend, help, ...rows);
}

/* ------------------------------------------------------------ overview */

async function loadOverview() {
  $("overview-error").textContent = "";
  if (!page.stored) {
    $("overview-notes").textContent = "Nothing yet: the overview fills once the configuration is saved.";
    $("overview-figures").replaceChildren();
    return;
  }
  try {
    const o = await api("GET", integrationPath("/overview"));
    page.urls = o.urls;
    renderOverview(o);
  } catch (exc) {
    $("overview-error").textContent = exc.message;
  }
}

async function deliveryUrls() {
  if (!page.urls && page.stored) {
    try { page.urls = (await api("GET", integrationPath("/overview"))).urls; } catch (exc) { page.urls = null; }
  }
  return page.urls;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

function figure(label, value, detail, bad) {
  const box = document.createElement("div");
  if (bad) box.className = "bad";
  const dd = document.createElement("dd");
  dd.textContent = String(value);
  if (detail) dd.append(Object.assign(document.createElement("small"), { textContent: detail }));
  box.append(Object.assign(document.createElement("dt"), { textContent: label }), dd);
  return box;
}

function renderOverview(o) {
  const total = (obj) => Object.values(obj || {}).reduce((a, b) => a + b, 0);
  const links = o.links;
  const refused = (o.refused_calls.counts || []).reduce((a, c) => a + c.count, 0);
  const poll = o.last_poll;
  const reconcile = o.last_reconcile;
  const hooks = o.hooks;
  const hookText = { ok: "working", problem: "not all enabled", unknown: "unknown" }[hooks.status] || hooks.status;
  const hookSource = hooks.status === "unknown" ? "run Check connection"
    : (hooks.source === "check" ? hooks.check.message : hooks.provisioning.message) + (hooks.advice ? "; run Check connection" : "");
  const waiting = total(o.refused_waiting);
  $("overview-figures").replaceChildren(
    figure("Linked vulnerabilities", links.total + (links.capped ? "+" : ""), links.vanished ? links.vanished + " vanished from Conviso" : ""),
    figure("In sync", links.in_sync, "card where its status puts it"),
    figure("Drifted", links.drifted, "card seen elsewhere", links.drifted > 0),
    figure("Not comparable", links.unknown, "no card seen, or status not mapped"),
    figure("Errors (24 h)", o.errors_24h, "", o.errors_24h > 0),
    figure("Refused calls", refused, "to the webhooks, this hour and the last", refused > 0),
    figure("Poison messages", o.poison.count + (o.poison.capped ? "+" : ""), o.poison.count ? "Replay them in Recent deliveries" : "", o.poison.count > 0),
    figure("Refused work waiting", waiting, Object.entries(o.refused_waiting).map(([k, n]) => k + ": " + n).join(", "), waiting > 0),
    figure("Last Conviso poll", !poll ? "not yet" : poll.error ? "failed" : poll.seen + " seen, " + poll.applied + " applied",
      poll ? when(poll.at) + (poll.error ? " — " + poll.error : "") : "every minute", Boolean(poll && poll.error)),
    figure("Last reconcile", reconcile ? (reconcile.level === "info" ? "complete" : reconcile.level === "warn" ? "partial" : "failed") : "not yet",
      reconcile ? when(reconcile.time) + " — " + reconcile.message : "every 15 minutes", Boolean(reconcile && reconcile.level === "error")),
    figure("Service hooks", hookText, hookSource, hooks.status !== "ok"),
  );
  const notes = [];
  if (links.capped) notes.push("Only the first " + links.cap + " links were read: the link counts are of those.");
  if (o.deliveries.capped) notes.push("Only the newest " + o.deliveries.read + " deliveries of the last 24 hours were read.");
  if (o.poison.capped) notes.push("Each poison queue was peeked at 32 messages at most.");
  $("overview-notes").textContent = notes.join(" ");
  $("overview-chart").replaceChildren(chart(o.deliveries.per_hour));
  const rows = (obj) => Object.entries(obj).map(([name, n]) => {
    const tr = document.createElement("tr");
    tr.append(Object.assign(document.createElement("td"), { textContent: name }), Object.assign(document.createElement("td"), { textContent: String(n) }));
    return tr;
  });
  const empty = (cols) => { const tr = document.createElement("tr"); tr.append(Object.assign(document.createElement("td"), { colSpan: cols, textContent: "No links yet." })); return [tr]; };
  $("overview-status").querySelector("tbody").replaceChildren(...(links.total ? rows(links.by_status) : empty(2)));
  $("overview-columns").querySelector("tbody").replaceChildren(...(links.total ? rows(links.by_column) : empty(2)));
  const drifted = $("overview-drifted");
  drifted.hidden = !links.drifted_examples.length;
  const place = (t) => [t.state && "state " + t.state, t.column && "column " + t.column].filter((x) => x).join(", ");
  drifted.querySelector("tbody").replaceChildren(...links.drifted_examples.map((d) => {
    const tr = document.createElement("tr");
    const cells = [vulnerabilityLink(d.vulnerability_id), workItemLink(d.work_item_id, d.route_key)];
    for (const text of [d.status || "", d.expected ? place(d.expected) : "", place(d.seen)]) cells.push(Object.assign(document.createElement("td"), { textContent: text }));
    tr.append(...cells);
    return tr;
  }));
}

const SVG = "http://www.w3.org/2000/svg";

function svg(name, attrs, text) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/* Deliveries per hour as stacked bars (inline SVG: no library, no CDN). */
function chart(hours) {
  const width = 1130, height = 150, left = 34, bottom = 18, top = 6;
  const levels = ["info", "warn", "error"];
  const sums = hours.map((h) => levels.reduce((a, l) => a + h[l], 0));
  const max = Math.max(1, ...sums);
  const all = levels.map((l) => hours.reduce((a, h) => a + h[l], 0));
  const busiest = sums.indexOf(Math.max(...sums));
  const summary = all[0] + all[1] + all[2] + " deliveries in the last 24 hours: " + all[0] + " info, " + all[1] + " warnings, "
    + all[2] + " errors" + (sums[busiest] ? "; busiest hour " + new Date(hours[busiest].hour).getHours() + ":00 with " + sums[busiest] : "") + ".";
  const root = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img", "aria-labelledby": "chart-title chart-desc" });
  root.append(svg("desc", { id: "chart-desc" }, summary));
  const plot = height - bottom - top;
  const step = (width - left) / hours.length;
  root.append(svg("line", { class: "axis", x1: left, y1: top + plot, x2: width, y2: top + plot }));
  root.append(svg("text", { x: left - 4, y: top + 8, "text-anchor": "end" }, String(max)));
  root.append(svg("text", { x: left - 4, y: top + plot, "text-anchor": "end" }, "0"));
  hours.forEach((h, i) => {
    let y = top + plot;
    const x = left + i * step + 2;
    for (const level of levels) {
      if (!h[level]) continue;
      const tall = (h[level] / max) * plot;
      y -= tall;
      const bar = svg("rect", { class: "bar-" + level, x: x, y: y, width: step - 4, height: tall });
      bar.append(svg("title", {}, new Date(h.hour).getHours() + ":00 — " + h[level] + " " + level));
      root.append(bar);
    }
    if (i % 3 === 0) root.append(svg("text", { x: x + (step - 4) / 2, y: height - 4, "text-anchor": "middle" }, new Date(h.hour).getHours() + ":00"));
  });
  return root;
}

/* ---------------------------------------------------------------- links */

function link(href, text, label) {
  const a = Object.assign(document.createElement("a"), { href, textContent: text, target: "_blank", rel: "noopener noreferrer" });
  a.setAttribute("aria-label", label);
  return a;
}

function vulnerabilityLink(id) {
  const td = document.createElement("td");
  if (!id) return td;
  if (page.urls) td.append(link(page.urls.vulnerability.replace("{id}", encodeURIComponent(id)), id, "Vulnerability " + id + " in Conviso"));
  else td.textContent = id;
  return td;
}

function workItemLink(id, routeKey) {
  const td = document.createElement("td");
  if (id == null) return td;
  if (page.urls) {
    const project = page.urls.route_projects[routeKey] || page.urls.default_project;
    const href = page.urls.work_item.replace("{project}", encodeURIComponent(project)).replace("{id}", String(id));
    td.append(link(href, "#" + id, "Work item " + id + " in Azure DevOps"));
  } else td.textContent = String(id);
  return td;
}

/* ---------------------------------------------------------------- wiring */

function start() {
  buildSeverityControls();
  $("key-form").addEventListener("submit", submitKey);
  $("pick-form").addEventListener("submit", submitPick);
  $("forget-key").addEventListener("click", () => { sessionStorage.removeItem(KEY); stopAutoRefresh(); show("screen-key"); $("current").textContent = ""; });
  for (const button of document.querySelectorAll(".tabs button")) button.addEventListener("click", () => openTab(button.dataset.tab));
  for (const radio of document.querySelectorAll("input[name=auth-mode]")) radio.addEventListener("change", () => { showAuthFields(); page.discovered = {}; });
  $("organization").addEventListener("change", () => { page.discovered = {}; });
  $("pat").addEventListener("change", () => { page.discovered = {}; });
  $("test-connection").addEventListener("click", testConnection);
  $("oauth-sign-in").addEventListener("click", signIn);
  $("add-route").addEventListener("click", () => { page.routes.push(emptyRoute(false)); renderRoutes(); });
  $("save").addEventListener("click", save);
  $("create-hooks").addEventListener("click", createHooks);
  $("new-hook-token").addEventListener("click", () => { $("hook-token").value = randomSecret(); showWebhookUrls(); });
  const secretHelp = $("event-secret-help").textContent;
  $("new-event-secret").addEventListener("click", () => {
    $("event-secret").value = randomSecret();
    $("event-secret-help").textContent = secretHelp;
  });
  $("hook-token").addEventListener("input", showWebhookUrls);
  for (const button of document.querySelectorAll("button.copy")) button.addEventListener("click", copy);
  for (const button of document.querySelectorAll("button.reveal")) button.addEventListener("click", reveal);
  $("run-check").addEventListener("click", runCheck);
  $("refresh-overview").addEventListener("click", loadOverview);
  $("delivery-filters").addEventListener("submit", (e) => { e.preventDefault(); loadDeliveries(false); });
  $("more-deliveries").addEventListener("click", () => loadDeliveries(true));
  if (sessionStorage.getItem(KEY)) {
    api("GET", "console/session").then(() => { show("screen-pick"); $("integration-id").focus(); }, () => {});
  } else {
    show("screen-key");
  }
}

document.addEventListener("DOMContentLoaded", start);

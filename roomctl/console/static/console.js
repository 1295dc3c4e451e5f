// roomctl console: live updates over server-sent events, buttons, cue banners.
"use strict";
(function () {
  const body = document.body;
  const csrf = (document.querySelector('meta[name="csrf"]') || {}).content || "";
  const pageSite = body.dataset.site || "";  // "" : the console's own broker's rooms
  const pageRoom = body.dataset.room || null;
  const mayAck = body.dataset.mayAck === "yes";
  // A room's key: its id, or site/id at a central broker (ids may repeat between sites).
  const keyOf = (site, id) => (site ? site + "/" + id : id);
  const pageKey = pageRoom ? keyOf(pageSite, pageRoom) : null;
  const rooms = {};  // key -> {site, id, state, availability, offline_since, pauses, profiles, at}
  const links = {};  // site -> {up, down_since}: the site's link to the central broker
  const seenCues = new Set();
  const {roomUrl, hhmm, linkText, clock, nextCueText, devicesText, drawBar} = window.roomctlWords;
  let audio = null;

  function room(site, id) {
    const key = keyOf(site, id);
    return rooms[key] || (rooms[key] = {site: site, id: id, state: null, availability: null,
      offline_since: null, pauses: [], profiles: [], at: Date.now()});
  }

  // While a site's link is down, what it last said of its rooms is old: never a live clock.
  function stale(r) {
    return !!(links[r.site] && links[r.site].up === false);
  }

  // Session time moves on between states while running: estimate it from when it came.
  function drift(r) {
    const st = r.state || {};
    if (st.status !== "running" || r.availability === "offline" || stale(r)) return 0;
    return (Date.now() - r.at) / 1000 * (st.speed || 1);
  }

  function statusText(r) {
    if (r.availability === "offline") return "roomctl offline since " + hhmm(r.offline_since);
    const status = (r.state && r.state.status) || "unknown";
    return stale(r) ? "last seen " + status + " (link down)" : status;
  }

  function setText(scope, selector, text) {
    scope.querySelectorAll(selector).forEach((el) => { if (el.textContent !== text) el.textContent = text; });
  }

  function render(key) {
    const r = rooms[key], st = r.state || {}, d = drift(r);
    const scopes = [...document.querySelectorAll('.room-card[data-site="' + CSS.escape(r.site) +
      '"][data-room="' + CSS.escape(r.id) + '"]')];
    if (pageKey === key) scopes.push(document.querySelector(".room-page"));
    scopes.forEach((scope) => {
      if (!scope) return;
      const offline = r.availability === "offline";
      const wanted = "status-" + (offline ? "offline" : st.status || "unknown");
      if (!scope.classList.contains(wanted)) {
        [...scope.classList].forEach((c) => { if (c.startsWith("status-")) scope.classList.remove(c); });
        scope.classList.add(wanted);
      }
      scope.classList.toggle("stale", stale(r));
      setText(scope, ".room-status, #room-status", statusText(r));
      setText(scope, ".room-profile", (st.profile || "") + (st.phase ? " \u00b7 " + st.phase : ""));
      setText(scope, "#profile-name", st.profile || "\u2014");
      setText(scope, "#phase-name", st.phase || "\u2014");
      const left = st.remaining_s === null || st.remaining_s === undefined ? null : st.remaining_s - d;
      setText(scope, "#time-left", clock(left));
      setText(scope, ".time-left", clock(left) + " left");
      setText(scope, ".next-cue", nextCueText(st, d));
      setText(scope, ".room-devices", devicesText(st));
      scope.querySelectorAll(".phase-bar").forEach((svg) => drawBar(svg, st, d));
    });
    if (pageKey === key) moveNow(st, d);
  }

  function moveNow(st, d) {
    const svg = document.querySelector("#timeline");
    const line = svg && svg.querySelector(".timeline-now");
    if (!line || st.elapsed_s === null || st.elapsed_s === undefined) return;
    const total = parseFloat(svg.dataset.totalS);
    const x = parseFloat(svg.dataset.x0) + Math.min(st.elapsed_s + d, total) * parseFloat(svg.dataset.pxPerS);
    line.setAttribute("x1", x.toFixed(2));
    line.setAttribute("x2", x.toFixed(2));
  }

  function chime() {
    const box = document.querySelector("#chime");
    if (!box || !box.checked) return;
    audio = audio || new AudioContext();
    const osc = audio.createOscillator(), gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.25, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 1.2);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 1.2);
  }

  function renderCues() {
    const box = document.querySelector("#cue-alerts");
    const template = document.querySelector("#cue-alert-template");
    if (!box || !template) return;
    const wanted = new Map();
    Object.keys(rooms).sort().forEach((id) => {
      if (pageKey && pageKey !== id) return;
      ((rooms[id].state || {}).pending_cues || []).forEach((cue) => wanted.set(id + "|" + cue.id, [id, cue]));
    });
    box.querySelectorAll(".cue-alert").forEach((el) => {
      if (!wanted.has(el.dataset.room + "|" + el.dataset.cueId)) el.remove();
    });
    let fresh = false;
    wanted.forEach(([id, cue], key) => {
      if (box.querySelector('.cue-alert[data-room="' + CSS.escape(id) + '"][data-cue-id="' + CSS.escape(cue.id) + '"]')) return;
      const el = template.content.firstElementChild.cloneNode(true);
      el.dataset.room = id;  // the room's key: its id, or site/id
      el.dataset.cueId = cue.id;
      el.querySelector(".cue-room").textContent = id;
      el.querySelector(".cue-notify").textContent = cue.notify;
      el.querySelector(".cue-when").textContent = "(" + cue.phase + ", " + clock(cue.at_s) + ")";
      const ack = el.querySelector(".cue-ack");
      if (ack) ack.addEventListener("click", () => send(id, {action: "ack", cue: cue.id}));
      box.appendChild(el);
      if (!seenCues.has(key)) { seenCues.add(key); fresh = true; }
    });
    if (fresh) chime();
  }

  function say(text, bad) {
    const out = document.querySelector("#command-result");
    if (out) { out.textContent = text; out.classList.toggle("error", !!bad); }
  }

  async function send(key, command) {
    const r = rooms[key] || {site: pageSite, id: pageRoom};
    let answer;
    try {
      const response = await fetch("/api" + roomUrl(r.site, r.id) + "/commands", {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
        body: JSON.stringify(command),
      });
      answer = await response.json();
      if (response.status === 401) { window.location = "/login"; return; }
      if (!response.ok) { say(command.action + ": " + (answer.detail || response.status), true); return; }
    } catch (error) {
      say(command.action + ": the console cannot be reached", true);
      return;
    }
    say(answer.ok ? command.action + " accepted" : command.action + " refused: " + answer.error, !answer.ok);
  }

  function commandOf(button) {
    const command = {action: button.dataset.action};
    if (command.action === "start") {
      const select = document.querySelector("#profile-select");
      const at = document.querySelector("#start-at");
      command.profile = select ? select.value : "";
      if (at && at.value.trim()) command.at = at.value.trim();
    }
    if (button.dataset.by) command.by = button.dataset.by;
    return command;
  }

  function wireButtons() {
    const dialog = document.querySelector("#confirm");
    document.querySelectorAll("button[data-action]").forEach((button) => {
      button.addEventListener("click", () => {
        if (button.dataset.action === "stop" && dialog) { dialog.showModal(); return; }
        send(pageKey, commandOf(button));
      });
    });
    if (dialog) {
      document.querySelector("#confirm-yes").addEventListener("click", () => {
        dialog.close();
        send(pageKey, {action: "stop"});
      });
      document.querySelector("#confirm-no").addEventListener("click", () => dialog.close());
    }
    const box = document.querySelector("#chime");
    if (box) {
      box.checked = localStorage.getItem("roomctl-chime") === "on";
      box.addEventListener("change", () => {
        localStorage.setItem("roomctl-chime", box.checked ? "on" : "off");
        if (box.checked) { audio = audio || new AudioContext(); audio.resume(); }
      });
    }
  }

  async function refreshTimeline() {
    const holder = document.querySelector("#timeline-box");
    if (!holder || !pageRoom) return;
    const response = await fetch(roomUrl(pageSite, pageRoom) + "/timeline.svg",
      {credentials: "same-origin"});
    if (!response.ok) return;
    const svg = new DOMParser().parseFromString(await response.text(), "image/svg+xml").documentElement;
    holder.replaceChildren(document.importNode(svg, true));
    const r = room(pageSite, pageRoom);
    moveNow(r.state || {}, drift(r));
  }

  function logEvent(event) {
    const log = document.querySelector("#event-log");
    if (!log) return;
    const item = document.createElement("li");
    const at = new Date(event.ts);  // the event's UTC stamp, shown in local time
    const pad = (n) => String(n).padStart(2, "0");
    let text = isNaN(at) ? String(event.ts) : pad(at.getHours()) + ":" + pad(at.getMinutes()) +
      ":" + pad(at.getSeconds());
    text += " " + event.type;
    if (event.by) text += " by " + event.by;
    if (event.notify) text += ": " + event.notify;
    else if (event.phase) text += ": " + event.phase;
    item.textContent = text;
    log.prepend(item);
  }

  function updateProfiles(key, profiles) {
    const select = document.querySelector("#profile-select");
    if (!select || pageKey !== key) return;
    const chosen = select.value;
    select.replaceChildren(...profiles.map((p) => new Option(p.title || p.name, p.name)));
    if (profiles.some((p) => p.name === chosen)) select.value = chosen;
  }

  // Events after which the session's picture changes (phases, pauses, a new session).
  const REDRAW = new Set(["session_started", "paused", "resumed", "extended", "skipped",
    "stopped", "session_ended", "recovered"]);

  function takeLink(message) {
    links[message.site] = {up: message.up, down_since: message.down_since};
    document.querySelectorAll('.site[data-site="' + CSS.escape(message.site) + '"]').forEach((el) => {
      el.classList.toggle("site-stale", message.up === false);
      const shown = el.querySelector(".site-link");
      if (!shown) return;
      shown.textContent = linkText(message);
      shown.classList.toggle("link-down", message.up === false);
      shown.classList.toggle("link-up", message.up === true);
    });
    Object.keys(rooms).forEach((key) => { if (rooms[key].site === message.site) render(key); });
  }

  function take(message) {
    if (message.kind === "link") { takeLink(message); return; }
    const site = message.site || "", key = keyOf(site, message.room);
    const r = room(site, message.room);
    if (message.pauses) r.pauses = message.pauses;
    if (message.kind === "availability") {
      r.availability = message.availability;
      r.offline_since = message.offline_since;
      if (message.state) { r.state = message.state; r.at = Date.now(); }
    } else if (message.kind === "state") {
      const before = r.state || {};
      r.state = message.state;
      r.at = Date.now();
      const ends = (st) => ((st.phases || []).slice(-1)[0] || {}).end_s;
      const changed = before.session_id !== message.state.session_id ||
        before.status !== message.state.status || ends(before) !== ends(message.state);
      if (pageKey === key && changed) refreshTimeline();
    } else if (message.kind === "event") {
      if (pageKey === key) {
        logEvent(message.event);
        if (REDRAW.has(message.event.type)) refreshTimeline();
      }
    } else if (message.kind === "catalog") {
      r.profiles = message.profiles || [];
      updateProfiles(key, r.profiles);
    }
    render(key);
    if (message.kind !== "event" && message.kind !== "catalog") renderCues();
  }

  // A stream the browser gave up on (refused, not just dropped) is tried again this late.
  const RECONNECT_MS = 5000;

  function connect() {
    const only = pageRoom ? "?site=" + encodeURIComponent(pageSite) + "&room=" + encodeURIComponent(pageRoom) : "";
    const source = new EventSource("/live" + only);
    source.onmessage = (e) => take(JSON.parse(e.data));
    // The browser retries a dropped stream by itself but gives up on a refused one: a
    // session ended (logged out elsewhere, idle, removed) goes to the login page rather
    // than leaving a page that no longer updates.
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED) return;
      fetch("/api/session", {credentials: "same-origin"}).then((response) => {
        if (response.status === 401) window.location = "/login";
        else setTimeout(connect, RECONNECT_MS);
      }, () => setTimeout(connect, RECONNECT_MS));
    };
  }

  // Session time moves between states: move the clocks and the "now" marks once a second.
  const TICK_MS = 1000;

  document.addEventListener("DOMContentLoaded", () => {
    wireButtons();
    if (!document.querySelector("#logout")) return;  // the login page has nothing live
    connect();
    // Only a running room's clocks move between states: the others wait for news.
    setInterval(() => Object.keys(rooms).filter((k) => drift(rooms[k]) > 0).forEach(render), TICK_MS);
  });
})();

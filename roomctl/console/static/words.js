// roomctl console: how a room's state reads on a page (times, texts, URLs, the phase bar).
"use strict";
window.roomctlWords = (function () {
  function roomUrl(site, id) {
    const path = "/rooms/" + encodeURIComponent(id);
    return site ? "/sites/" + encodeURIComponent(site) + path : path;
  }

  function hhmm(iso) {
    const at = iso ? new Date(iso) : new Date();
    return String(at.getHours()).padStart(2, "0") + ":" + String(at.getMinutes()).padStart(2, "0");
  }

  function linkText(link) {
    if (link.up === null || link.up === undefined) return "link not heard from yet";
    if (link.up) return "link up";
    return link.down_since ? "link down since " + hhmm(link.down_since) : "link down";
  }

  function clock(seconds) {
    if (seconds === null || seconds === undefined) return "\u2014";
    const whole = Math.max(0, Math.round(seconds));
    const h = Math.floor(whole / 3600), m = Math.floor(whole % 3600 / 60), s = whole % 60;
    const mm = String(m).padStart(h ? 2 : 1, "0"), ss = String(s).padStart(2, "0");
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  function nextCueText(st, d) {
    const cue = st && st.next_cue;
    if (!cue) return "No cue ahead";
    return "Next cue in " + clock(cue.in_s - d) + ": " + cue.notify;
  }

  function devicesText(st) {
    const devices = (st && st.devices) || {};
    const names = Object.keys(devices);
    const down = names.filter((n) => devices[n].online === false).sort();
    return (names.length - down.length) + " of " + names.length + " devices online" +
      (down.length ? " (offline: " + down.join(", ") + ")" : "");
  }

  function drawBar(svg, st, d) {
    const phases = (st && st.phases) || [];
    const total = phases.length ? phases[phases.length - 1].end_s : 0;
    const now = svg.querySelector(".phase-bar-now");
    // The phases' boxes change only with the plan or the phase: the clock tick moves "now".
    const key = JSON.stringify([phases, st && st.phase_index]);
    if (svg.dataset.drawn !== key) {
      svg.dataset.drawn = key;
      drawPhases(svg, phases, total, st, now);
    }
    if (now) {
      const x = total && st.elapsed_s !== null ? Math.min((st.elapsed_s + d) / total, 1) * 1000 : 0;
      now.setAttribute("x", Math.max(x - 3, 0).toFixed(1));
      now.classList.toggle("hidden", !phases.length);
    }
  }

  function drawPhases(svg, phases, total, st, now) {
    svg.querySelectorAll(".phase-bar-phase").forEach((el) => el.remove());
    phases.forEach((p, i) => {
      const rect = document.createElementNS("http://www.w3.org/2000/svg", "rect");
      rect.setAttribute("class", "phase-bar-phase phase-bar-phase-" + (i % 2) +
        (i === st.phase_index ? " phase-bar-current" : ""));
      rect.setAttribute("x", (p.start_s / total * 1000).toFixed(1));
      rect.setAttribute("y", "0");
      rect.setAttribute("width", ((p.end_s - p.start_s) / total * 1000).toFixed(1));
      rect.setAttribute("height", "20");
      svg.insertBefore(rect, now);
    });
  }

  return {roomUrl, hhmm, linkText, clock, nextCueText, devicesText, drawBar};
})();

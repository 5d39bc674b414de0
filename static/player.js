// Audio players, enhanced. Without this file every page has the browser's own controls.
// With it, each clip gets a control set whose time and seek bar use the exact duration the
// server measured (browsers only estimate VBR MP3 lengths), worked by keyboard (Space plays
// and pauses, ← and → move 5 s, Home and End go to the ends), and a "Match loudness" switch,
// remembered in this browser, plays every clip at −16 LUFS through a Web Audio gain the server
// computed from the clip's measured loudness (never lifting its true peak past 0 dBTP).
(function () {
  "use strict";
  var players = Array.prototype.slice.call(document.querySelectorAll("audio[data-duration-ms]"));
  if (!players.length) return;

  var KEY = "mediadesk.match-loudness";
  var matched = function () {
    try { return localStorage.getItem(KEY) === "1"; } catch (e) { return false; }
  };
  var Context = window.AudioContext || window.webkitAudioContext;
  var context = null;

  var clock = function (s) {
    s = Math.max(0, Math.floor(s || 0));
    var h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, r = s % 60;
    var mm = h ? (m < 10 ? "0" : "") + m : String(m);
    return (h ? h + ":" : "") + mm + ":" + (r < 10 ? "0" : "") + r;
  };
  var exact = function (audio) {
    var d = Number(audio.dataset.durationMs) / 1000;
    return d > 0 ? d : (isFinite(audio.duration) ? audio.duration : 0);
  };
  // Web Audio may only read media of this origin (or one that allows it by CORS); signed
  // URLs of another origin keep the element's own volume, which can lower but not raise.
  var routable = function (audio) {
    if (audio.dataset.elsewhere) return false;
    try {
      return new URL(audio.currentSrc || audio.src, location.href).origin === location.origin;
    } catch (e) { return false; }
  };

  function applyGain(audio) {
    var db = audio.dataset.gainDb;
    var on = matched() && db !== undefined && db !== "";
    var linear = on ? Math.pow(10, Number(db) / 20) : 1;
    if (Context && routable(audio) && (on || audio.mediadeskGain)) {
      if (!audio.mediadeskGain) {
        context = context || new Context();
        var source = context.createMediaElementSource(audio);
        var gain = context.createGain();
        source.connect(gain);
        gain.connect(context.destination);
        audio.mediadeskGain = gain;
      }
      audio.mediadeskGain.gain.value = linear;
      audio.volume = 1;
    } else if (!audio.mediadeskGain) {
      audio.volume = Math.min(1, linear);
    }
    audio.dataset.appliedGain = String(linear);
  }

  function seekTo(audio, seconds) {
    var to = Math.max(0, Math.min(exact(audio), seconds));
    if (audio.readyState >= 1) audio.currentTime = to;
    else audio.addEventListener("loadedmetadata", function () { audio.currentTime = to; }, { once: true });
  }

  function toggle(audio) {
    if (context && context.state === "suspended") context.resume();
    if (audio.paused) audio.play(); else audio.pause();
  }

  function enhance(audio) {
    var name = audio.getAttribute("aria-label") || "this clip";
    var bar = document.createElement("div");
    bar.className = "player";
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", "Player: " + name.replace(/^Play /, ""));
    var button = document.createElement("button");
    button.type = "button";
    button.className = "play";
    var seek = document.createElement("input");
    seek.type = "range";
    seek.className = "seek";
    seek.min = "0";
    seek.step = "0.1";
    seek.setAttribute("aria-label", "Position");
    var time = document.createElement("span");
    time.className = "time";
    bar.append(button, seek, time);
    var show = function () {
      var total = exact(audio), now = Math.min(audio.currentTime, total);
      button.textContent = audio.paused ? "▶" : "❚❚";
      button.setAttribute("aria-label", audio.paused ? "Play" : "Pause");
      seek.max = String(total);
      seek.value = String(now);
      seek.setAttribute("aria-valuetext", clock(now) + " of " + clock(total));
      time.textContent = clock(now) + " / " + clock(total);
    };
    ["play", "pause", "timeupdate", "seeked", "loadedmetadata", "ended"].forEach(function (t) {
      audio.addEventListener(t, show);
    });
    button.addEventListener("click", function () { toggle(audio); });
    // Moving by hand ends a range being played (see below).
    var moved = function () { audio.dispatchEvent(new Event("mediadesk-moved")); };
    seek.addEventListener("input", function () { moved(); seekTo(audio, Number(seek.value)); });
    bar.addEventListener("keydown", function (e) {
      var step = { ArrowLeft: -5, ArrowRight: 5 }[e.key];
      if (e.key === " " && e.target !== button) { e.preventDefault(); toggle(audio); }
      else if (step) { e.preventDefault(); moved(); seekTo(audio, audio.currentTime + step); }
      else if (e.key === "Home") { e.preventDefault(); moved(); seekTo(audio, 0); }
      else if (e.key === "End") { e.preventDefault(); moved(); seekTo(audio, exact(audio)); }
      else return;
      show();
    });
    audio.controls = false;
    audio.after(bar);
    audio.mediadeskBar = bar;
    show();
  }

  // A clip joins the Web Audio graph only when it first plays with the switch on (a graph
  // made before any gesture would start suspended, and fifty gallery rows need not join).
  players.forEach(function (audio) {
    enhance(audio);
    audio.addEventListener("play", function () {
      applyGain(audio);
      if (context && context.state === "suspended") context.resume();
    });
  });

  // One switch per page, before the first player (the gallery: above its grid).
  var switchBox = document.createElement("p");
  switchBox.className = "match-loudness";
  var check = document.createElement("input");
  check.type = "checkbox";
  check.id = "match-loudness";
  check.checked = matched();
  var label = document.createElement("label");
  label.htmlFor = "match-loudness";
  label.textContent = " Match loudness (play every clip at −16 LUFS)";
  switchBox.append(check, label);
  var grid = document.querySelector("ul.grid");
  var anchor = grid || players[0];
  anchor.parentNode.insertBefore(switchBox, anchor);
  // Regions: an address ending in "#t=12.5,19" (a media fragment) plays that range and stops
  // at its end, "#t=12.5" plays from there; region links on the page are such addresses, so
  // one can be passed on as it is.
  var main = document.getElementById("player");
  var stopAt = null;
  var watch = function () {
    if (stopAt === null) return;
    if (main.currentTime >= stopAt) {
      main.pause();
      main.currentTime = stopAt;
      stopAt = null;
    } else if (!main.paused) {
      requestAnimationFrame(watch);
    }
  };
  var playRange = function (hash) {
    var m = /^#t=(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?$/.exec(hash || "");
    if (!m) return;
    seekTo(main, Number(m[1]));
    stopAt = m[2] === undefined ? null : Number(m[2]);
    var started = main.play();
    if (started && started.catch) started.catch(function () { /* blocked: the user presses play */ });
  };
  if (main) {
    main.addEventListener("playing", function () { requestAnimationFrame(watch); });
    main.addEventListener("timeupdate", watch);
    main.addEventListener("mediadesk-moved", function () { stopAt = null; });
    window.addEventListener("hashchange", function () { playRange(location.hash); });
    document.querySelectorAll("a.region-play").forEach(function (a) {
      a.addEventListener("click", function (e) {
        // The same link again changes no address: play it anyway.
        if (a.getAttribute("href") === location.hash) { e.preventDefault(); playRange(location.hash); }
      });
    });
    if (location.hash) playRange(location.hash);
  }

  // Dragging across the item page's waveform fills in the new region's start and end.
  var wave = document.getElementById("wave");
  var regionForm = document.getElementById("region-form");
  if (main && wave && regionForm) {
    document.getElementById("region-drag-hint").hidden = false;
    var from = null, pending = null, width = wave.viewBox.baseVal.width;
    var share = function (x) {
      var box = wave.getBoundingClientRect();
      return Math.max(0, Math.min(1, (x - box.left) / box.width));
    };
    wave.addEventListener("pointerdown", function (e) {
      from = e.clientX;
      try { wave.setPointerCapture(e.pointerId); } catch (err) { /* not a live pointer */ }
    });
    wave.addEventListener("pointermove", function (e) {
      if (from === null || Math.abs(e.clientX - from) < 6) return;
      if (!pending) {
        pending = document.createElementNS("http://www.w3.org/2000/svg", "rect");
        pending.setAttribute("class", "region pending");
        pending.setAttribute("y", "0");
        pending.setAttribute("height", "1000");
        wave.appendChild(pending);
      }
      var a = share(Math.min(from, e.clientX)), b = share(Math.max(from, e.clientX));
      pending.setAttribute("x", String(a * width));
      pending.setAttribute("width", String((b - a) * width));
    });
    wave.addEventListener("pointerup", function (e) {
      if (from !== null && Math.abs(e.clientX - from) >= 6) {
        var total = exact(main);
        regionForm.elements.start.value = (share(Math.min(from, e.clientX)) * total).toFixed(1);
        regionForm.elements.end.value = (share(Math.max(from, e.clientX)) * total).toFixed(1);
        regionForm.elements.label.focus();
        wave.dataset.dragged = "1";
      }
      from = null;
    });
    // The click that ends a drag does not seek.
    wave.addEventListener("click", function (e) {
      if (wave.dataset.dragged) { e.stopImmediatePropagation(); delete wave.dataset.dragged; }
    }, true);
  }

  check.addEventListener("change", function () {
    try { localStorage.setItem(KEY, check.checked ? "1" : "0"); } catch (e) { /* private mode */ }
    players.forEach(function (audio) {
      if (!audio.paused || audio.mediadeskGain || audio.played.length) applyGain(audio);
    });
  });
})();

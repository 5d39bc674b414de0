// Mediadesk enhancements. Every page works without this file; it adds upload progress,
// drag-and-drop, copy buttons, one-clip-at-a-time playback and local times.
(function () {
  "use strict";

  // Moments in the reader's own time zone: the page writes them in UTC and says so. A
  // moment written with its zone gets the reader's zone's name; the title keeps the UTC.
  var zone = window.Intl && Intl.DateTimeFormat(undefined, { timeZoneName: "short" });
  document.querySelectorAll("time[datetime]").forEach(function (t) {
    var d = new Date(t.getAttribute("datetime")), two = function (n) { return (n < 10 ? "0" : "") + n; };
    if (isNaN(d.getTime())) return;
    var named = / UTC$/.test(t.textContent), name = zone && zone.formatToParts(d).filter(function (p) {
      return p.type === "timeZoneName";
    })[0];
    var local = d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " +
      two(d.getHours()) + ":" + two(d.getMinutes()) +
      (/\d:\d\d:\d\d( UTC)?$/.test(t.textContent) ? ":" + two(d.getSeconds()) : "");
    t.title = t.textContent.replace(/( UTC)?$/, " UTC");
    t.textContent = local + (named && name ? " " + name.value : "");
  });

  // Placeholders: until a thumbnail loads, its box shows the blurred likeness its ThumbHash
  // holds (data-placeholder, base64), drawn on a canvas under it (the loaded thumbnail covers
  // it): no request, and nothing the Content-Security-Policy has to allow. A page's 48 take a
  // few milliseconds. The decoder follows ThumbHash's reference (Evan Wallace, MIT).
  var likeness = function (hash) {
    var PI = Math.PI, min = Math.min, max = Math.max, cos = Math.cos, round = Math.round;
    var h24 = hash[0] | (hash[1] << 8) | (hash[2] << 16), h16 = hash[3] | (hash[4] << 8);
    var lDc = (h24 & 63) / 63, pDc = ((h24 >> 6) & 63) / 31.5 - 1, qDc = ((h24 >> 12) & 63) / 31.5 - 1;
    var lScale = ((h24 >> 18) & 31) / 31, alpha = h24 >> 23;
    var pScale = ((h16 >> 3) & 63) / 63, qScale = ((h16 >> 9) & 63) / 63, landscape = h16 >> 15;
    var lx = max(3, landscape ? (alpha ? 5 : 7) : h16 & 7), ly = max(3, landscape ? h16 & 7 : (alpha ? 5 : 7));
    var aDc = alpha ? (hash[5] & 15) / 15 : 1, aScale = (hash[5] >> 4) / 15;
    var start = alpha ? 6 : 5, at = 0;
    var channel = function (nx, ny, scale) {
      var ac = [];
      for (var cy = 0; cy < ny; cy++) {
        for (var cx = cy ? 0 : 1; cx * ny < nx * (ny - cy); cx++, at++) {
          ac.push((((hash[start + (at >> 1)] >> ((at & 1) << 2)) & 15) / 7.5 - 1) * scale);
        }
      }
      return ac;
    };
    var lAc = channel(lx, ly, lScale), pAc = channel(3, 3, pScale * 1.25), qAc = channel(3, 3, qScale * 1.25);
    var aAc = alpha && channel(5, 5, aScale);
    var ratio = (landscape ? (alpha ? 5 : 7) : hash[3] & 7) / (landscape ? hash[3] & 7 : (alpha ? 5 : 7));
    var w = round(ratio > 1 ? 32 : 32 * ratio), h = round(ratio > 1 ? 32 / ratio : 32);
    var rgba = new Uint8ClampedArray(w * h * 4), fx = [], fy = [];
    for (var y = 0, i = 0; y < h; y++) {
      for (var x = 0; x < w; x++, i += 4) {
        var l = lDc, p = pDc, q = qDc, a = aDc, cx, cy, j, f2;
        for (cx = 0; cx < max(lx, alpha ? 5 : 3); cx++) fx[cx] = cos(PI / w * (x + 0.5) * cx);
        for (cy = 0; cy < max(ly, alpha ? 5 : 3); cy++) fy[cy] = cos(PI / h * (y + 0.5) * cy);
        for (cy = 0, j = 0; cy < ly; cy++) {
          for (cx = cy ? 0 : 1, f2 = fy[cy] * 2; cx * ly < lx * (ly - cy); cx++, j++) l += lAc[j] * fx[cx] * f2;
        }
        for (cy = 0, j = 0; cy < 3; cy++) {
          for (cx = cy ? 0 : 1, f2 = fy[cy] * 2; cx < 3 - cy; cx++, j++) {
            p += pAc[j] * fx[cx] * f2;
            q += qAc[j] * fx[cx] * f2;
          }
        }
        if (alpha) {
          for (cy = 0, j = 0; cy < 5; cy++) {
            for (cx = cy ? 0 : 1, f2 = fy[cy] * 2; cx < 5 - cy; cx++, j++) a += aAc[j] * fx[cx] * f2;
          }
        }
        var b = l - 2 / 3 * p, r = (3 * l - b + q) / 2, g = r - q;
        rgba[i] = Math.floor(max(0, 255 * min(1, r)));
        rgba[i + 1] = Math.floor(max(0, 255 * min(1, g)));
        rgba[i + 2] = Math.floor(max(0, 255 * min(1, b)));
        rgba[i + 3] = Math.floor(max(0, 255 * min(1, a)));
      }
    }
    return new ImageData(rgba, w, h);
  };
  var placed = [];
  var fitPlaceholder = function (pair) {
    var img = pair[0], c = pair[1];
    c.style.left = img.offsetLeft + "px";
    c.style.top = img.offsetTop + "px";
    c.style.width = img.offsetWidth + "px";
    c.style.height = img.offsetHeight + "px";
  };
  // An item's picture (data-width/height: its size as shown) holds its place until it loads,
  // at the size the page's CSS will give it (within the width and its max-height), so nothing
  // moves when it comes; its placeholder goes then (a transparent picture would show it through).
  var holdPlace = function (img, c) {
    var w = +img.dataset.width, h = +img.dataset.height;
    img.style.aspectRatio = w + " / " + h;
    var tallest = parseFloat(getComputedStyle(img).maxHeight);
    img.style.width = (tallest > 0 ? Math.min(w, tallest * w / h) : w) + "px";
    var done = function () {
      c.remove();
      img.style.aspectRatio = img.style.width = "";
    };
    img.addEventListener("load", done);
    img.addEventListener("error", done);
  };
  document.querySelectorAll("img[data-placeholder]").forEach(function (img) {
    if (img.dataset.width && img.complete) return;
    try {
      var bytes = Uint8Array.from(atob(img.dataset.placeholder), function (ch) { return ch.charCodeAt(0); });
      var shape = likeness(bytes), c = document.createElement("canvas");
      c.width = shape.width;
      c.height = shape.height;
      c.className = "placeholder";
      c.setAttribute("aria-hidden", "true");
      c.getContext("2d").putImageData(shape, 0, 0);
      img.parentNode.insertBefore(c, img);
      if (img.dataset.width) holdPlace(img, c);
      placed.push([img, c]);
      fitPlaceholder([img, c]);
    } catch (e) { /* a placeholder that does not decode is left out */ }
  });
  if (placed.length) window.addEventListener("resize", function () { placed.forEach(fitPlaceholder); });

  // Days a form asks for are read in the reader's zone too: its offset from UTC now, in
  // minutes east (a range across a change of clocks is off by that hour at one end).
  document.querySelectorAll("input[data-offset]").forEach(function (i) {
    i.value = String(-new Date().getTimezoneOffset());
  });
  document.querySelectorAll("[data-zone]").forEach(function (s) {
    s.textContent = "Days and times are in your time zone.";
  });

  // One clip at a time: starting a clip pauses every other one.
  document.addEventListener("play", function (e) {
    document.querySelectorAll("audio").forEach(function (a) {
      if (a !== e.target) a.pause();
    });
  }, true);

  // Space toggles the clip of the focused gallery card.
  document.addEventListener("keydown", function (e) {
    if (e.key !== " " || /^(INPUT|TEXTAREA|SELECT|BUTTON|AUDIO)$/.test(e.target.tagName)) return;
    var card = e.target.closest && e.target.closest(".card-audio");
    var audio = card && card.querySelector("audio");
    if (!audio) return;
    e.preventDefault();
    if (audio.paused) audio.play(); else audio.pause();
  });

  // The gallery as a grid: from a card's name, picture or checkbox, the arrow keys go to the
  // same place in the card beside, above or below, and Home/End to the first and last card;
  // Tab still walks every control (a page of 50 audio cards is 200 Tab presses).
  var grid = document.querySelector("ul.grid");
  if (grid) {
    grid.addEventListener("keydown", function (e) {
      var t = e.target, keys = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"];
      if (keys.indexOf(e.key) < 0 || e.ctrlKey || e.metaKey || e.altKey || e.shiftKey) return;
      var place = ["a.name", "a.thumb", "input.pick"].filter(function (s) { return t.matches(s); })[0];
      if (!place) return;
      var cards = Array.prototype.slice.call(grid.children), here = t.closest("li.card");
      var to = null, step = { ArrowLeft: -1, ArrowRight: 1 }[e.key];
      if (step) to = cards[cards.indexOf(here) + step];
      else if (e.key === "Home") to = cards[0];
      else if (e.key === "End") to = cards[cards.length - 1];
      else {
        // The nearest row above or below, then the card there closest in line.
        var r = here.getBoundingClientRect(), down = e.key === "ArrowDown", best = null;
        cards.forEach(function (c) {
          var q = c.getBoundingClientRect();
          if (down ? q.top < r.bottom - 1 : q.bottom > r.top + 1) return;
          var score = [Math.abs(q.top - r.top), Math.abs(q.left - r.left)];
          if (!best || score[0] < best[0][0] - 1 || (Math.abs(score[0] - best[0][0]) <= 1 && score[1] < best[0][1])) {
            best = [score, c];
          }
        });
        to = best && best[1];
      }
      if (!to || to === here) return;
      e.preventDefault();
      (to.querySelector(place) || to.querySelector("a.name")).focus();
    });
  }

  // Picking cards: "Select all on this page" ticks them here instead of asking the server for
  // the page ticked; Shift+click ticks or clears every card between the last one clicked and
  // this one; the bar counts what is ticked.
  var bulk = document.getElementById("bulk"), every = bulk && bulk.querySelector("a.select-all");
  if (every) {
    var picks = function () { return Array.prototype.slice.call(bulk.querySelectorAll("input.pick")); };
    var count = bulk.querySelector(".picked-count"), last = null, toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "select-all link";
    every.parentNode.replaceChild(toggle, every);
    var show = function () {
      var all = picks(), n = all.filter(function (p) { return p.checked; }).length;
      count.textContent = n ? n + " selected" : "";
      toggle.textContent = n === all.length ? "Clear selection" : "Select all on this page";
    };
    toggle.addEventListener("click", function () {
      var all = picks(), ticked = all.every(function (p) { return p.checked; });
      all.forEach(function (p) { p.checked = !ticked; });
      show();
    });
    bulk.addEventListener("click", function (e) {
      var t = e.target;
      if (!t.matches("input.pick")) return;
      if (e.shiftKey && last && last !== t) {
        var all = picks(), a = all.indexOf(last), b = all.indexOf(t);
        all.slice(Math.min(a, b), Math.max(a, b) + 1).forEach(function (p) { p.checked = t.checked; });
      }
      last = t;
    });
    bulk.addEventListener("change", show);
    show();
  }

  // Gallery cards: the mini waveform is tinted as its clip plays, and a click on it seeks
  // there (the clip loads on that first click: cards preload nothing).
  document.querySelectorAll(".card-audio").forEach(function (card) {
    var audio = card.querySelector("audio.mini");
    var mini = card.querySelector(".mini-wave");
    if (!audio || !mini) return;
    var played = mini.querySelector(".played-rect");
    var span = mini.viewBox.baseVal.width;
    var seconds = function () {
      var exact = Number(audio.dataset.durationMs) / 1000;
      return exact > 0 ? exact : audio.duration;
    };
    var paint = function () {
      played.setAttribute("width", String(span * Math.min(1, audio.currentTime / seconds())));
    };
    audio.addEventListener("timeupdate", paint);
    audio.addEventListener("seeked", paint);
    mini.classList.add("seekable");
    mini.addEventListener("click", function (e) {
      var box = mini.getBoundingClientRect();
      var at = Math.max(0, Math.min(1, (e.clientX - box.left) / box.width)) * seconds();
      if (audio.readyState >= 1) {
        audio.currentTime = at;
      } else {
        audio.addEventListener("loadedmetadata", function () { audio.currentTime = at; }, { once: true });
      }
      if (audio.paused) audio.play();
    });
  });

  // The detail waveform: the played part is tinted, a click seeks.
  var wave = document.getElementById("wave");
  var player = document.getElementById("player");
  if (wave && player) {
    var rect = document.getElementById("played-rect");
    // The server counted the frames; a browser only estimates VBR MP3 lengths (often badly).
    var duration = function () {
      var exact = Number(player.dataset.durationMs) / 1000;
      return exact > 0 ? exact : player.duration;
    };
    var width = wave.viewBox.baseVal.width;
    var paint = function () { rect.setAttribute("width", String(width * player.currentTime / duration())); };
    player.addEventListener("timeupdate", paint);
    player.addEventListener("seeked", paint);
    wave.addEventListener("click", function (e) {
      var box = wave.getBoundingClientRect();
      player.currentTime = Math.max(0, Math.min(1, (e.clientX - box.left) / box.width)) * duration();
      paint();
    });
  }

  document.querySelectorAll("button.copy").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      var input = document.getElementById(b.dataset.copy);
      input.select();
      if (navigator.clipboard) navigator.clipboard.writeText(input.value);
      b.textContent = "Copied";
    });
  });

  // An item's page is also a viewer: ← and → walk the gallery view it was opened from, Esc
  // goes back to it, and e jumps to the description (none of it while typing in a field).
  var walk = document.querySelector("nav.walk");
  if (walk) {
    document.addEventListener("keydown", function (e) {
      var t = e.target;
      if (e.ctrlKey || e.metaKey || e.altKey || (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)))) return;
      var go = function (id) { var a = document.getElementById(id); if (a) { e.preventDefault(); location.href = a.href; } };
      if (e.key === "ArrowLeft") go("previous");
      else if (e.key === "ArrowRight") go("next");
      else if (e.key === "Escape") go("to-gallery");
      else if (e.key === "e") {
        var field = document.getElementById("alt_text") || document.getElementById("title");
        if (field) { e.preventDefault(); field.focus(); field.scrollIntoView({ block: "center" }); }
        else go("edit");
      }
    });
  }

  // The next item's picture is fetched once this one's has come (data-next-picture, the very
  // URL the next page gives), so Next, → or a swipe shows it at once from the browser's cache.
  // In the viewer a swipe walks too: right to left to the next item, left to right to the
  // previous (a mostly sideways move of 60 px or more; a scroll or a pinch is none).
  var stage = document.querySelector(".viewer-stage");
  if (walk && stage) {
    var from = null;
    stage.addEventListener("touchstart", function (e) {
      from = e.touches.length === 1 ? [e.touches[0].clientX, e.touches[0].clientY] : null;
    }, { passive: true });
    stage.addEventListener("touchend", function (e) {
      if (!from || e.changedTouches.length !== 1) return;
      var dx = e.changedTouches[0].clientX - from[0], dy = e.changedTouches[0].clientY - from[1];
      from = null;
      if (Math.abs(dx) < 60 || Math.abs(dx) < 2 * Math.abs(dy)) return;
      var to = document.getElementById(dx < 0 ? "next" : "previous");
      if (to) location.href = to.href;
    });
  }
  if (walk && walk.dataset.nextPicture) {
    var ahead = function () { new Image().src = walk.dataset.nextPicture; };
    var current = document.getElementById("preview");
    if (!current || current.tagName !== "IMG" || current.complete) ahead();
    else current.addEventListener("load", ahead, { once: true });
  }

  // The describing queue: Ctrl+Enter (or Cmd+Enter) saves a transcript and moves on.
  var queueText = document.querySelector("form[action='/describe'] textarea");
  if (queueText) {
    queueText.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); queueText.form.requestSubmit(); }
    });
  }

  // Focal point: "Click it on the picture" arms the next click on the picture to place the
  // point (instead of opening the full-size file); typing the numbers moves the mark.
  var focalForm = document.getElementById("focal"), mark = document.getElementById("focal-mark");
  var picture = document.getElementById("preview");
  if (focalForm && mark && picture) {
    var pick = focalForm.querySelector(".focal-pick"), armed = false;
    var fx = focalForm.querySelector("input[name=x]"), fy = focalForm.querySelector("input[name=y]");
    var arm = function (on) {
      armed = on;
      pick.setAttribute("aria-pressed", on ? "true" : "false");
      picture.parentNode.classList.toggle("picking", on);
    };
    var place = function () {
      var x = parseFloat(fx.value), y = parseFloat(fy.value);
      var fits = function (v) { return v >= 0 && v <= 100; };
      mark.classList.toggle("off", !(fits(x) && fits(y)));
      if (!(fits(x) && fits(y))) return;
      mark.querySelectorAll("circle").forEach(function (c) {
        c.setAttribute("cx", x + "%");
        c.setAttribute("cy", y + "%");
      });
    };
    pick.hidden = false;
    pick.addEventListener("click", function () { arm(!armed); });
    picture.parentNode.addEventListener("click", function (e) {
      if (!armed) return;
      e.preventDefault();
      var r = picture.getBoundingClientRect();
      var tenth = function (v) { return Math.round(Math.max(0, Math.min(1, v)) * 1000) / 10; };
      fx.value = tenth((e.clientX - r.left) / r.width);
      fy.value = tenth((e.clientY - r.top) / r.height);
      place();
      arm(false);
      focalForm.querySelector("button[type=submit]").focus();
    });
    document.addEventListener("keydown", function (e) { if (armed && e.key === "Escape") arm(false); });
    focalForm.addEventListener("input", place);
  }

  // Crop: dragging over the picture draws the rectangle and fills the form's four numbers (in
  // the image's own pixels, as shown); typing them moves the rectangle. Without JavaScript the
  // numbers alone do it.
  var cropForm = document.getElementById("crop"), shown = document.getElementById("preview");
  if (cropForm && shown) {
    var field = function (n) { return cropForm.querySelector("input[name=" + n + "]"); };
    var W = +cropForm.dataset.width, H = +cropForm.dataset.height;
    var frame = shown.parentNode, box = document.createElement("div"), start = null, moved = false;
    box.className = "crop-box";
    box.hidden = true;
    frame.classList.add("crop-frame");
    frame.appendChild(box);
    cropForm.querySelector(".crop-hint").hidden = false;
    var draw = function () {
      var v = ["left", "top", "width", "height"].map(function (n) { return +field(n).value || 0; });
      box.hidden = v[0] === 0 && v[1] === 0 && v[2] === W && v[3] === H;
      var r = shown.getBoundingClientRect(), f = frame.getBoundingClientRect(), s = r.width / W;
      box.style.left = (r.left - f.left + v[0] * s) + "px";
      box.style.top = (r.top - f.top + v[1] * s) + "px";
      box.style.width = v[2] * s + "px";
      box.style.height = v[3] * s + "px";
    };
    var at = function (e) {
      var r = shown.getBoundingClientRect(), s = r.width / W;
      var clamp = function (v, most) { return Math.max(0, Math.min(most, Math.round(v / s))); };
      return [clamp(e.clientX - r.left, W), clamp(e.clientY - r.top, H)];
    };
    shown.addEventListener("pointerdown", function (e) {
      if (e.button !== 0) return;
      e.preventDefault();
      if (shown.setPointerCapture) shown.setPointerCapture(e.pointerId);
      start = at(e);
      moved = false;
    });
    // A shape chosen holds the drag to it, and shows at once what "Crop to the shape" cuts:
    // the largest part of it around the saved focal point, as the server works it out.
    var shape = document.getElementById("crop-shape");
    var ratio = function () {
      var m = /^(\d+):(\d+)$/.exec(shape ? shape.value : "");
      return m ? [+m[1], +m[2]] : null;
    };
    if (shape) shape.addEventListener("change", function () {
      var r = ratio();
      if (!r) return;
      var w = W, h = H;
      if (W * r[1] >= H * r[0]) w = Math.min(W, Math.max(1, Math.round(H * r[0] / r[1])));
      else h = Math.min(H, Math.max(1, Math.round(W * r[1] / r[0])));
      var focus = function (v) { return v === undefined ? 0.5 : +v / 100; };
      var place = function (c, whole, size) { return Math.max(0, Math.min(whole - size, Math.round(c * whole - size / 2))); };
      field("left").value = place(focus(cropForm.dataset.focalX), W, w);
      field("top").value = place(focus(cropForm.dataset.focalY), H, h);
      field("width").value = w;
      field("height").value = h;
      draw();
    });
    shown.addEventListener("pointermove", function (e) {
      if (!start) return;
      var p = at(e), w = Math.abs(p[0] - start[0]), h = Math.abs(p[1] - start[1]), r = ratio();
      if (r) {
        var room = p[1] >= start[1] ? H - start[1] : start[1];
        h = Math.round(w * r[1] / r[0]);
        if (h > room) { h = room; w = Math.round(h * r[0] / r[1]); }
      }
      if (w < 1 || h < 1) return;
      moved = true;
      field("left").value = p[0] >= start[0] ? start[0] : start[0] - w;
      field("top").value = p[1] >= start[1] ? start[1] : start[1] - h;
      field("width").value = w;
      field("height").value = h;
      draw();
    });
    ["pointerup", "pointercancel"].forEach(function (t) {
      shown.addEventListener(t, function () { start = null; });
    });
    // A drag is not a click on the link to the full-size picture.
    frame.addEventListener("click", function (e) {
      if (moved) e.preventDefault();
      moved = false;
    });
    shown.addEventListener("dragstart", function (e) { e.preventDefault(); });
    cropForm.addEventListener("input", draw);
    window.addEventListener("resize", draw);
    if (shown.complete) draw(); else shown.addEventListener("load", draw);
  }

  // Adding from links waits on other servers: say so, and keep a second press from fetching
  // everything again. A page restored from the back/forward cache gets its button back.
  var linkForm = document.querySelector(".link-form");
  if (linkForm) {
    var linkButton = linkForm.querySelector("button[type=submit]");
    var linkLabel = linkButton.textContent;
    linkForm.addEventListener("submit", function () {
      var n = document.getElementById("link").value.split(/\s+/).filter(Boolean).length;
      linkButton.disabled = true;
      linkButton.textContent = n > 1 ? "Fetching " + n + " links…" : "Fetching…";
      linkForm.setAttribute("aria-busy", "true");
    });
    window.addEventListener("pageshow", function () {
      linkButton.disabled = false;
      linkButton.textContent = linkLabel;
      linkForm.removeAttribute("aria-busy");
    });
  }

  var form = document.getElementById("upload-form");
  if (!form) return;
  var input = document.getElementById("files");
  var zone = document.getElementById("dropzone");
  var results = document.getElementById("results");
  zone.querySelector(".drop-hint").hidden = false;

  ["dragenter", "dragover"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    zone.addEventListener(t, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) {
    e.preventDefault();
    // A picture dragged from another site's page brings its link, not a file: it goes to the
    // link field, to be fetched by the server.
    var links = e.dataTransfer.files.length ? "" : (e.dataTransfer.getData("text/uri-list") || "")
      .split(/\r?\n/).filter(function (l) { return /^https?:\/\//i.test(l); }).join("\n");
    var field = document.getElementById("link");
    if (links && field) {
      field.value = field.value.trim() ? field.value.trim() + "\n" + links : links;
      field.focus();
      return;
    }
    input.files = e.dataTransfer.files;
  });

  // Each file goes up on its own request so one refusal never sinks the others.
  function send(file, keepDuplicate) {
    var li = document.createElement("li");
    li.className = "result";
    var name = document.createElement("strong");
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", "Uploading " + file.name);
    var status = document.createElement("span");
    li.append(name, " ", status, bar);
    results.appendChild(li);

    var done = function (answer, httpStatus) {
      bar.remove();
      // A refusal answers its status with {code, message}; an accepted file, {results}.
      var r = answer && answer.results ? answer.results[0] : null;
      var refusal = answer && answer.code ? answer : null;
      if (refusal) li.dataset.code = refusal.code;
      if (refusal && refusal.code === "signed_out") {
        // The file did not arrive; signing in (in another tab) keeps this page and its files.
        li.classList.add("result-refused");
        status.textContent = "";
        var signin = document.createElement("a");
        signin.href = "/signin?next=" + encodeURIComponent(location.pathname);
        signin.target = "_blank";
        signin.rel = "noopener";
        signin.textContent = "sign in again";
        status.append("You were signed out — ", signin, ", then upload this file again");
      } else if (refusal && refusal.code === "page_expired") {
        li.classList.add("result-refused");
        status.textContent = "This page expired — reload it and upload again";
      } else if (refusal && refusal.code === "duplicate" && refusal.existing) {
        // Already in the library: open that item, or upload this copy anyway.
        li.classList.add("result-refused");
        status.textContent = "";
        var existing = document.createElement("a");
        existing.href = refusal.existing;
        existing.textContent = "open the existing item";
        var anyway = document.createElement("button");
        anyway.type = "button";
        anyway.className = "link";
        anyway.textContent = "Upload anyway";
        anyway.addEventListener("click", function () { li.remove(); send(file, true); });
        status.append("already in the library — ", existing, " · ", anyway);
      } else if (r && r.ok) {
        li.classList.add("result-ok");
        status.innerHTML = "";
        status.append("accepted — ");
        var a = document.createElement("a");
        a.href = r.url; a.textContent = "open";
        status.appendChild(a);
        // Bytes of its own, but a picture (resized, saved again…) or a sound (another format,
        // a part of it…) the library already has.
        [["looks like", r.looks_like], ["sounds like", r.sounds_like]].forEach(function (said) {
          if (!said[1]) return;
          var like = document.createElement("a");
          like.href = said[1].url; like.className = "looks-like"; like.textContent = said[1].name;
          status.append(" · " + said[0] + " ", like, " (" + said[1].note + ")");
        });
      } else {
        li.classList.add("result-refused");
        status.textContent = "refused — " + (r ? r.message : httpStatus ? "the server answered " + httpStatus
          : "the connection failed");
      }
    };
    var above = Number(form.dataset.resumableAbove || 0);
    if (above > 0 && file.size > above) return resumable(file, bar, status, keepDuplicate).then(done);

    var data = new FormData();
    data.append("csrf_token", form.elements.csrf_token.value);
    if (form.elements.owner) data.append("owner", form.elements.owner.value);
    // Announcing the size lets the server refuse an oversized file at once and store the
    // rest as it arrives.
    data.append("size", String(file.size));
    if (keepDuplicate || (form.elements.keep_duplicates && form.elements.keep_duplicates.checked)) {
      data.append("keep_duplicates", "1");
    }
    data.append("file", file, file.name);
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) bar.value = Math.round(e.loaded * 100 / e.total);
      };
      xhr.onload = function () {
        var answer = null;
        try { answer = JSON.parse(xhr.responseText); } catch (err) { answer = null; }
        done(answer, xhr.status);
        resolve();
      };
      xhr.onerror = function () { done(null, 0); resolve(); };
      xhr.send(data);
    });
  }

  // Large files go up in pieces over tus (/uploads/tus): a dropped connection or a proxy's
  // body-size cap costs one piece, not the file. Pieces are retried with a growing pause, and
  // the server says where to go on from after each failure.
  function request(method, url, headers, body, progress) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("Tus-Resumable", "1.0.0");
      var token = document.querySelector('meta[name="csrf-token"]');
      if (token) xhr.setRequestHeader("X-CSRF-Token", token.content);
      Object.keys(headers).forEach(function (h) { xhr.setRequestHeader(h, headers[h]); });
      if (progress) xhr.upload.onprogress = progress;
      xhr.onload = function () { resolve(xhr); };
      xhr.onerror = function () { resolve(null); };
      xhr.send(body);
    });
  }
  function pause(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  function answerOf(xhr) {
    try { return JSON.parse(xhr.responseText); } catch (err) { return null; }
  }
  function b64(text) { return btoa(unescape(encodeURIComponent(text))); }
  // What a file sent in pieces looks or sounds like, asked once it is in (a one-request upload's
  // answer says it at once); without an answer, the file is still accepted.
  function hint(made) {
    return request("GET", "/upload/hint" + made.replace(/^\/media/, ""), { "Accept": "application/json" }, null)
      .then(function (xhr) {
        var like = xhr && xhr.status === 200 ? answerOf(xhr) || {} : {};
        return { results: [{ ok: true, url: made, looks_like: like.looks_like, sounds_like: like.sounds_like }] };
      });
  }

  function resumable(file, bar, status, keepDuplicate) {
    var piece = Math.min(Number(form.dataset.pieceBytes || 16777216), 50 * 1024 * 1024);
    var meta = ["filename " + b64(file.name)];
    if (!keepDuplicate && !(form.elements.keep_duplicates && form.elements.keep_duplicates.checked)) {
      meta.push("duplicates " + b64("refuse"));
    }
    if (file.type) meta.push("filetype " + b64(file.type));
    if (form.elements.owner) meta.push("owner " + b64(form.elements.owner.value));
    var url = null, offset = 0, failures = 0;
    var retry = function (xhr) {
      // Network failures, a busy or lost server and 409/423 (another request still in flight)
      // are worth another try; a refusal of the file is not.
      var s = xhr ? xhr.status : 0;
      var refused = s === 409 && (answerOf(xhr) || {}).code === "duplicate";
      return (s === 0 || s >= 500 || (s === 409 && !refused) || s === 423 || s === 460) && failures < 12;
    };
    var step = function () {
      if (!url) {
        return request("POST", "/uploads/tus", {
          "Upload-Length": String(file.size), "Upload-Metadata": meta.join(","), "Accept": "application/json"
        }, null).then(function (xhr) {
          if (xhr && xhr.status === 201) { url = xhr.getResponseHeader("Location"); return step(); }
          return again(xhr);
        });
      }
      var end = Math.min(offset + piece, file.size);
      return request("PATCH", url, {
        "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream"
      }, file.slice(offset, end), function (e) {
        bar.value = Math.round((offset + e.loaded) * 100 / file.size);
      }).then(function (xhr) {
        if (xhr && xhr.status === 204) {
          failures = 0;
          offset = Number(xhr.getResponseHeader("Upload-Offset"));
          var made = xhr.getResponseHeader("Mediadesk-Media");
          if (made) return hint(made);
          return step();
        }
        return again(xhr);
      });
    };
    var again = function (xhr) {
      if (!retry(xhr)) return xhr ? (answerOf(xhr) || { code: "http", message: "the server answered " + xhr.status })
        : null;
      failures += 1;
      status.textContent = "connection lost — retrying…";
      return pause(Math.min(1000 * Math.pow(2, failures - 1), 30000)).then(function () {
        if (!url) return step();
        return request("HEAD", url, {}, null).then(function (head) {
          if (head && head.status === 200) {
            offset = Number(head.getResponseHeader("Upload-Offset"));
            status.textContent = "";
            return step();
          }
          if (head && head.status === 404) return { code: "expired", message: "the upload expired; upload the file again" };
          return again(head);
        });
      });
    };
    return step();
  }

  form.addEventListener("submit", function (e) {
    if (!input.files.length) return;
    e.preventDefault();
    var files = Array.prototype.slice.call(input.files);
    files.reduce(function (p, f) { return p.then(function () { return send(f); }); }, Promise.resolve())
      .then(function () { form.reset(); });
  });
})();

// specqa web chat page. Vanilla JS, no build step, no third-party code.
//
// Safety rule for this file: text from the API (answers, spec text, questions) only ever reaches
// the page through textContent / text nodes (the `el` helper and `renderMarkdown` below). Nothing
// here assigns innerHTML, and links are only created for https://model-spec.openai.com URLs and
// this server's own diff page (/diff on the same origin).
"use strict";

(() => {
  const KEY_STORAGE = "specqa.apiKey";
  const CHOICE_STORAGE = { release: "specqa.release", mode: "specqa.mode" }; // kept across reloads
  const SPEC_HOST = "model-spec.openai.com";
  const LABELS = { GOOD: "good", BAD: "bad", OK: "ok" };
  const LABEL_ICONS = { good: "✓", bad: "✕", ok: "~", other: "•" };

  const $ = (id) => document.getElementById(id);
  const ui = {
    release: $("release"),
    mode: $("mode"),
    settings: $("settings"),
    keyForm: $("key-form"),
    keyInput: $("api-key"),
    keyClear: $("key-clear"),
    keyStatus: $("key-status"),
    banner: $("banner"),
    welcome: $("welcome"),
    thread: $("thread"),
    form: $("ask-form"),
    question: $("question"),
    send: $("send"),
    dialog: $("section-dialog"),
    dialogTitle: $("section-title"),
    dialogPath: $("section-path"),
    dialogContent: $("section-content"),
    dialogClose: $("section-close"),
    charCount: $("char-count"),
    newConversation: $("new-conversation"),
  };
  const conv = window.specqaConversation;
  // the server's longest question: `/` fills it in (SPECQA_MAX_QUESTION_CHARS)
  const MAX_CHARS = parseInt(ui.question.dataset.maxChars || "", 10) || 2000;

  let busy = null; // the AbortController of the answer being streamed
  let turnCounter = 0;
  let dialogOpener = null;
  let dialogToken = 0;
  const sectionCache = new Map();
  let conversation = conv.load(); // the finished turns, as stored in this browser
  let releaseNames = []; // oldest first
  let releasesReady = Promise.resolve();

  // --- DOM helpers -----------------------------------------------------------------------------

  /** Create an element. `text` goes in as textContent; children may be nodes or plain strings. */
  function el(tag, options = {}, children = []) {
    const node = document.createElement(tag);
    if (options.className) node.className = options.className;
    if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
    for (const [name, value] of Object.entries(options.attrs || {})) {
      if (/^on/i.test(name) || name === "style" || name === "href" || name === "src") {
        throw new Error(`refusing to set attribute ${name}`);
      }
      node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
    return node;
  }

  /** An https link to the official Model Spec site, or null for anything else. */
  function specUrl(raw) {
    try {
      const url = new URL(String(raw));
      if (
        url.protocol === "https:" &&
        url.hostname === SPEC_HOST &&
        url.port === "" &&
        url.username === "" &&
        url.password === ""
      ) {
        return url.href;
      }
    } catch (_) {
      // not a URL
    }
    return null;
  }

  /** A link to this server's own diff page (same origin, path /diff), or null. */
  function diffUrl(raw) {
    try {
      const url = new URL(String(raw), window.location.origin);
      if (
        url.origin === window.location.origin &&
        url.pathname === "/diff" &&
        url.username === "" &&
        url.password === ""
      ) {
        return url.href;
      }
    } catch (_) {
      // not a URL
    }
    return null;
  }

  function specLink(href, label, className) {
    const safe = specUrl(href);
    if (!safe) return document.createTextNode(label);
    const link = el("a", { className, text: label, attrs: { target: "_blank", rel: "noopener noreferrer" } });
    link.href = safe;
    return link;
  }

  // --- a small, safe markdown renderer ---------------------------------------------------------
  // Supports paragraphs, headings, block quotes, lists, rules, fenced code, **bold**, *italics*,
  // `code` and links to the Model Spec site. Everything else stays as literal text.

  const INLINE = new RegExp(
    [
      "(`+)([^`]+?)\\1", // 1,2: code
      "\\[([^\\]\\n]+)\\]\\(([^()\\s]+)\\)", // 3,4: link
      "\\*\\*(?=\\S)(.+?)\\*\\*", // 5: bold
      "__(?=\\S)(.+?)__(?!\\w)", // 6: bold
      "(?<![\\w*])\\*(?=[^\\s*])(.+?)\\*(?![\\w*])", // 7: italics
      "(?<![\\w_])_(?=[^\\s_])(.+?)_(?![\\w_])", // 8: italics
    ].join("|"),
    "g",
  );

  /** The spec writes an em dash as " --- "; show it as one. */
  function typo(text) {
    return literal(String(text).replace(/(^|\s)---?(?=\s|$)/g, "$1—"));
  }

  // What markdown's escapes and the entities the server writes (an answer's <, > and &, in
  // code too) stand for. The result only ever becomes a text node.
  const ENTITIES = { lt: "<", gt: ">", amp: "&", quot: '"' };
  function entities(text) {
    return String(text).replace(/&(lt|gt|amp|quot);/g, (_, name) => ENTITIES[name]);
  }
  function literal(text) {
    return String(text).replace(/\\([!-\/:-@[-`{-~])|&(lt|gt|amp|quot);/g, (_, escaped, name) => escaped ?? ENTITIES[name]);
  }

  function renderInline(text, parent) {
    let last = 0;
    INLINE.lastIndex = 0;
    const matches = [...String(text).matchAll(INLINE)];
    for (const m of matches) {
      if (m.index > last) parent.append(typo(text.slice(last, m.index)));
      if (m[2] !== undefined) {
        parent.append(el("code", { text: entities(m[2]) }));
      } else if (m[3] !== undefined) {
        const safe = specUrl(m[4]) || diffUrl(m[4]);
        if (safe) {
          const link = el("a", { attrs: { target: "_blank", rel: "noopener noreferrer" } });
          link.href = safe;
          const title = linkTitles.get(m[3]); // a citation marker [section_id]: show its title
          if (title) {
            link.className = "cite-link";
            link.textContent = title;
          } else {
            renderInline(m[3], link);
          }
          parent.append(link);
        } else {
          renderInline(m[3], parent); // keep the words, drop the link
        }
      } else if (m[5] !== undefined || m[6] !== undefined) {
        const strong = el("strong");
        renderInline(m[5] ?? m[6], strong);
        parent.append(strong);
      } else {
        const em = el("em");
        renderInline(m[7] ?? m[8], em);
        parent.append(em);
      }
      last = m.index + m[0].length;
    }
    if (last < text.length) parent.append(typo(text.slice(last)));
  }

  function renderLines(lines, parent) {
    lines.forEach((line, index) => {
      if (index > 0) parent.append(el("br"));
      renderInline(line, parent);
    });
  }

  const FENCE = /^\s*(```|~~~)/;
  const RULE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;
  const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
  const QUOTE = /^\s{0,3}>\s?/;
  const ITEM = /^\s*([-*+]|\d{1,9}[.)])\s+(.*)$/;

  function indentOf(line) {
    return line.length - line.trimStart().length;
  }

  function startsBlock(line) {
    return FENCE.test(line) || RULE.test(line) || HEADING.test(line) || QUOTE.test(line) || ITEM.test(line);
  }

  let linkTitles = new Map();

  /** Render markdown into `container`; `titles` maps section ids to titles for citation links. */
  function renderMarkdown(source, container, titles = new Map()) {
    const fragment = document.createDocumentFragment();
    linkTitles = titles;
    try {
      renderBlocks(String(source || "").replace(/\r\n?/g, "\n").split("\n"), fragment, 0);
    } finally {
      linkTitles = new Map();
    }
    container.replaceChildren(fragment);
  }

  function renderBlocks(lines, parent, depth) {
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      if (!line.trim()) {
        i += 1;
        continue;
      }
      const fence = FENCE.exec(line);
      if (fence) {
        const body = [];
        i += 1;
        while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
        i += 1;
        parent.append(el("pre", {}, [el("code", { text: entities(body.join("\n")) })]));
        continue;
      }
      if (RULE.test(line)) {
        parent.append(el("hr"));
        i += 1;
        continue;
      }
      const heading = HEADING.exec(line);
      if (heading) {
        const level = Math.min(6, heading[1].length + 2);
        const node = el(`h${level}`, { className: "md-heading" });
        renderInline(heading[2], node);
        parent.append(node);
        i += 1;
        continue;
      }
      if (QUOTE.test(line)) {
        const inner = [];
        while (i < lines.length && QUOTE.test(lines[i])) inner.push(lines[i++].replace(QUOTE, ""));
        const quote = el("blockquote");
        if (depth < 4) renderBlocks(inner, quote, depth + 1);
        else renderLines(inner, quote);
        parent.append(quote);
        continue;
      }
      const item = ITEM.exec(line);
      if (item) {
        const ordered = /\d/.test(item[1]);
        const list = el(ordered ? "ol" : "ul");
        if (ordered) {
          const start = parseInt(item[1], 10);
          if (start !== 1) list.setAttribute("start", String(start));
        }
        const base = indentOf(line);
        while (i < lines.length) {
          const current = ITEM.exec(lines[i]);
          if (!current || indentOf(lines[i]) > base) break;
          const parts = [current[2]];
          i += 1;
          while (i < lines.length && lines[i].trim() && !startsBlock(lines[i])) parts.push(lines[i++].trim());
          const li = el("li");
          renderLines(parts, li);
          // items indented under this one are its own list (a change answer's sentences under
          // their section), not its siblings
          const nested = [];
          while (i < lines.length && ITEM.test(lines[i]) && indentOf(lines[i]) > base) {
            nested.push(lines[i++]);
            while (i < lines.length && lines[i].trim() && !startsBlock(lines[i])) nested.push(lines[i++]);
          }
          if (nested.length) {
            const by = indentOf(nested[0]);
            const inner = nested.map((text) => text.slice(Math.min(by, indentOf(text))));
            if (depth < 4) renderBlocks(inner, li, depth + 1);
            else renderLines(inner.map((text) => text.trim()), li);
          }
          list.append(li);
        }
        parent.append(list);
        continue;
      }
      const paragraph = [];
      while (i < lines.length && lines[i].trim() && (paragraph.length === 0 || !startsBlock(lines[i]))) {
        paragraph.push(lines[i++]);
      }
      const p = el("p");
      renderLines(paragraph, p);
      parent.append(p);
    }
  }

  // --- API -----------------------------------------------------------------------------------------

  function apiKey() {
    try {
      return localStorage.getItem(KEY_STORAGE) || "";
    } catch (_) {
      return "";
    }
  }

  function apiHeaders(extra = {}) {
    const headers = { Accept: "application/json", ...extra };
    const key = apiKey();
    if (key) headers.Authorization = `Bearer ${key}`;
    return headers;
  }

  class ApiError extends Error {
    constructor(status, type, message) {
      super(message);
      this.status = status;
      this.type = type;
    }
  }

  async function apiError(response) {
    let type = "http_error";
    let message = response.statusText || "request failed";
    try {
      const body = await response.json();
      if (body && body.error) {
        type = String(body.error.type || type);
        message = String(body.error.message || message);
      } else if (body && body.detail) {
        message = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
      }
    } catch (_) {
      // not JSON
    }
    if (response.status === 401) message += " Add a key under Settings.";
    if (response.status === 429) {
      const retry = response.headers.get("Retry-After");
      if (retry) message += ` Try again in ${retry} s.`;
    }
    return new ApiError(response.status, type, message);
  }

  async function getJson(path) {
    const response = await fetch(path, { headers: apiHeaders() });
    if (!response.ok) throw await apiError(response);
    return response.json();
  }

  async function postJson(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: apiHeaders({ "Content-Type": "application/json" }),
      body: JSON.stringify(body),
    });
    if (!response.ok) throw await apiError(response);
    return response.json().catch(() => null);
  }

  /** A section card (GET /v1/sections/{id}), fetched once per release. */
  async function sectionCard(sectionId, release) {
    const key = `${release || ""}\u0000${sectionId}`;
    if (!sectionCache.has(key)) {
      const query = release ? `?release=${encodeURIComponent(release)}` : "";
      sectionCache.set(key, await getJson(`/v1/sections/${encodeURIComponent(sectionId)}${query}`));
    }
    return sectionCache.get(key);
  }

  function describeError(error) {
    if (error instanceof ApiError) return `Error ${error.status} (${error.type}): ${error.message}`;
    if (error instanceof TypeError) return `Could not reach the server: ${error.message}`;
    return `Something went wrong: ${error && error.message ? error.message : error}`;
  }

  /** Server-sent events from a fetch() response body (EventSource cannot POST). */
  async function* readEvents(response) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    const parse = (block) => {
      let type = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "event") type = value;
        else if (field === "data") data.push(value);
      }
      return data.length ? { type, data: data.join("\n") } : null;
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = (buffer + decoder.decode(value, { stream: true })).replace(/\r\n/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) !== -1) {
        const event = parse(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
        if (event) yield event;
      }
    }
    buffer += decoder.decode();
    const tail = buffer.trim() ? parse(buffer.trim()) : null;
    if (tail) yield tail;
  }

  // --- releases and settings -----------------------------------------------------------------------

  function showBanner(message) {
    ui.banner.textContent = message;
    ui.banner.hidden = !message;
  }

  async function loadReleases() {
    const previous = ui.release.value || storedChoice("release");
    try {
      const data = await getJson("/v1/releases");
      releaseNames = Array.isArray(data.releases) ? data.releases.map(String) : [];
      const releases = [...releaseNames].reverse();
      ui.release.replaceChildren(
        ...releases.map((name) => {
          const option = el("option", { text: name === data.newest ? `${name} (newest)` : name });
          option.value = name;
          return option;
        }),
      );
      ui.release.value = releases.includes(previous) ? previous : data.newest || releases[0] || "";
      ui.release.disabled = releases.length === 0;
      showBanner("");
    } catch (error) {
      const option = el("option", { text: "Unavailable" });
      option.value = "";
      ui.release.replaceChildren(option);
      showBanner(`Could not load the releases. ${describeError(error)}`);
      if (error instanceof ApiError && error.status === 401) ui.settings.open = true;
    }
  }

  function storedChoice(name) {
    try {
      return localStorage.getItem(CHOICE_STORAGE[name]) || "";
    } catch (_) {
      return "";
    }
  }

  /** The release and answer mode picked stay picked after a reload, as the conversation does. */
  function keepChoices() {
    for (const name of Object.keys(CHOICE_STORAGE)) {
      ui[name].addEventListener("change", () => {
        try {
          localStorage.setItem(CHOICE_STORAGE[name], ui[name].value);
        } catch (_) {
          // this browser keeps nothing: the choice lasts until the reload
        }
      });
    }
    const mode = storedChoice("mode");
    if ([...ui.mode.options].some((option) => option.value === mode)) ui.mode.value = mode;
  }

  function initSettings() {
    keepChoices();
    ui.keyInput.value = apiKey();
    const summary = ui.settings.querySelector("summary");
    ui.settings.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && ui.settings.open) {
        ui.settings.open = false;
        summary.focus();
      }
    });
    document.addEventListener("click", (event) => {
      if (ui.settings.open && !ui.settings.contains(event.target)) ui.settings.open = false;
    });
    ui.keyForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const value = ui.keyInput.value.trim();
      try {
        if (value) localStorage.setItem(KEY_STORAGE, value);
        else localStorage.removeItem(KEY_STORAGE);
        ui.keyStatus.textContent = value ? "Key saved in this browser." : "No key set.";
      } catch (_) {
        ui.keyStatus.textContent = "This browser does not allow storing the key.";
      }
      loadReleases();
    });
    ui.keyClear.addEventListener("click", () => {
      ui.keyInput.value = "";
      try {
        localStorage.removeItem(KEY_STORAGE);
      } catch (_) {
        // nothing stored
      }
      ui.keyStatus.textContent = "Key removed.";
      loadReleases();
    });
  }

  // --- cards ------------------------------------------------------------------------------------

  function authorityBadge(authority) {
    const name = authority || "no level";
    return el("span", {
      className: `authority authority-${authority ? String(authority).replace(/[^a-z]/gi, "") : "none"}`,
      text: name,
    });
  }

  function citationChip(citation, release) {
    const chip = el(
      "button",
      {
        className: "chip",
        attrs: {
          type: "button",
          "aria-haspopup": "dialog",
          title: citation.quote ? `“${citation.quote}”` : citation.title,
        },
      },
      [authorityBadge(citation.authority), el("span", { className: "chip-title", text: citation.title })],
    );
    chip.setAttribute("aria-label", `Open section: ${citation.title} (${citation.authority || "no authority level"})`);
    chip.addEventListener("click", () => openSection(citation.section_id, citation.release || release, chip));
    return chip;
  }

  function roleName(role) {
    const text = String(role || "message");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function exampleCard(example, release, options = {}) {
    const card = el("article", { className: "example-card" });
    const head = el("header", { className: "example-head" });
    head.append(el("h4", { className: "example-title", text: typo(example.title || example.id) }));
    if (options.sectionLink !== false && example.section_id) {
      const open = el("button", {
        className: "link-button",
        text: `§ ${example.section_id}`,
        attrs: { type: "button", "aria-haspopup": "dialog", "aria-label": `Open section ${example.section_id}` },
      });
      open.addEventListener("click", () => openSection(example.section_id, release, open));
      head.append(open);
    }
    card.append(head);

    const body = el("div", { className: "example-body" });
    const steps = exampleSteps(example);
    steps.forEach((step, index) => body.append(exampleStep(step, index, steps.length, release)));
    card.append(body);
    return card;
  }

  /** The example's steps in order; an older server sent only the flat conversation and replies. */
  function exampleSteps(example) {
    if (Array.isArray(example.steps) && example.steps.length) return example.steps;
    return [{ turns: example.conversation || [], responses: example.responses || [] }];
  }

  /** One step: its turns, then the labelled replies to the last of them, side by side. */
  function exampleStep(step, index, count, release) {
    const attrs = count > 1 ? { role: "group", "aria-label": `Step ${index + 1} of ${count}` } : {};
    const root = el("div", { className: "example-step", attrs });
    const conversation = el("div", { className: "conversation", attrs: { role: "list", "aria-label": "Conversation" } });
    for (const turn of step.turns || []) {
      const role = String(turn.role || "message").toLowerCase().replace(/[^a-z]/g, "");
      conversation.append(
        el("div", { className: `message role-${role}`, attrs: { role: "listitem" } }, [
          el("span", { className: "role", text: roleName(turn.role) }),
          role === "assistant" ? replyText("message-text", turn.content) : el("p", { className: "message-text", text: turn.content || "" }),
        ]),
      );
    }
    root.append(conversation);
    if ((step.responses || []).length) root.append(responseList(step.responses, release));
    return root;
  }

  /** An assistant's reply as the spec writes it: markdown (lists, emphasis, "---" dashes). */
  function replyText(className, text) {
    const box = el("div", { className: `${className} markdown` });
    renderMarkdown(text || "", box);
    return box;
  }

  function responseList(responses, release) {
    const list = el("ul", { className: "responses", attrs: { "aria-label": "Labelled responses to the last turn" } });
    for (const response of responses) {
      const label = String(response.label || "").toUpperCase();
      const kind = LABELS[label] || "other";
      const head = el("span", { className: `label label-${kind}` }, [
        el("span", { className: "label-icon", text: LABEL_ICONS[kind], attrs: { "aria-hidden": "true" } }),
        label || "RESPONSE",
      ]);
      const item = el("li", { className: `response response-${kind}` }, [head]);
      // a BAD[#id] label names the rule the reply breaks: opened in place, as a card's § is
      for (const ref of response.refs || []) {
        const why = el("button", {
          className: "link-button label-ref",
          text: `breaks § ${ref.section_id}`,
          attrs: { type: "button", "aria-haspopup": "dialog", "aria-label": `Open section ${ref.section_id}, the rule this reply breaks` },
        });
        why.addEventListener("click", () => openSection(ref.section_id, release, why));
        item.append(" ", why);
      }
      item.append(replyText("response-text", response.text));
      if (response.rationale) {
        item.append(el("p", { className: "rationale" }, [el("span", { className: "rationale-lead", text: "Why: " }), response.rationale]));
      }
      list.append(item);
    }
    return list;
  }

  /** Long turns and replies are folded to a few lines with a toggle; call once the card is shown. */
  function foldIfLong(card) {
    for (const text of card.querySelectorAll(".message-text, .response-text")) {
      if (text.scrollHeight <= 190) continue;
      text.classList.add("folded");
      text.id = text.id || `folded-${++turnCounter}`;
      const toggle = el("button", {
        className: "fold-toggle",
        text: "Show more",
        attrs: { type: "button", "aria-expanded": "false", "aria-controls": text.id },
      });
      toggle.addEventListener("click", () => {
        const folded = text.classList.toggle("folded");
        toggle.setAttribute("aria-expanded", String(!folded));
        toggle.textContent = folded ? "Show more" : "Show less";
      });
      text.after(toggle);
    }
  }

  // --- one question and its answer ---------------------------------------------------------------

  /**
   * A turn: the question, then its answer. `context` is the earlier questions a follow-up was
   * asked after when they are not on the page (a permalink's): shown above it, so that a reader
   * of the link knows what "and if…" follows.
   */
  function createTurn(question, context = []) {
    const id = ++turnCounter;
    const root = el("li", { className: "turn" });
    if (context.length) {
      const quoted = context.map((earlier) => `“${earlier}”`).join(" → ");
      root.append(el("p", { className: "question-context", text: `Following up on ${quoted}` }));
    }
    root.append(
      el("div", { className: "question-row" }, [
        el("p", { className: "question-bubble" }, [el("span", { className: "visually-hidden", text: "You asked: " }), question]),
      ]),
    );

    const answer = el("article", { className: "answer", attrs: { "aria-labelledby": `answer-title-${id}` } });
    const heading = el("h2", { className: "visually-hidden", text: "Answer", attrs: { id: `answer-title-${id}` } });
    const modeBadge = el("span", { className: "badge badge-pending", text: "Answering…" });
    const metaLine = el("p", { className: "answer-meta" }, [modeBadge]);
    const modeText = el("span", { className: "mode-text", text: "Finding the governing sections…" });
    metaLine.append(modeText);
    const body = el("div", {
      className: "answer-body markdown",
      attrs: { "aria-live": "polite", "aria-busy": "true", "aria-atomic": "false" },
    });
    const notice = el("p", { className: "notice", attrs: { role: "status" } });
    notice.hidden = true;
    const error = el("div", { className: "error", attrs: { role: "alert" } });
    error.hidden = true;
    const citations = el("section", { className: "citations", attrs: { "aria-label": "Cited sections" } });
    citations.hidden = true;
    const examples = el("section", { className: "examples", attrs: { "aria-label": "Examples from the spec" } });
    examples.hidden = true;
    answer.append(heading, metaLine, body, notice, error, citations, examples);
    root.append(answer);

    let markdown = "";
    let frame = 0;
    let release = ui.release.value;
    const titles = new Map();

    // what the answer cites and its examples: first what the evidence holds (the stream's meta),
    // then what the final answer kept (none for a question outside the spec)
    function showSources(list, cards) {
      for (const citation of list) titles.set(String(citation.section_id), String(citation.title));
      citations.hidden = !list.length;
      if (list.length) {
        const chips = el("ul", { className: "chips" });
        for (const citation of list) chips.append(el("li", {}, [citationChip(citation, release)]));
        citations.replaceChildren(el("h3", { className: "block-title", text: "Cited sections" }), chips);
      }
      examples.hidden = !cards.length;
      if (cards.length) {
        const grid = el("div", { className: "example-grid" });
        const made = cards.map((card) => exampleCard(card, release));
        grid.append(...made);
        examples.replaceChildren(el("h3", { className: "block-title", text: "Examples from the spec" }), grid);
        made.forEach(foldIfLong);
      }
    }

    return {
      root,
      article: answer,
      done: false,
      showMeta(meta) {
        release = meta.release || release;
        modeText.textContent = `Release ${release} · writing the answer…`;
        showSources(meta.citations || [], meta.examples || []);
      },
      append(text) {
        markdown += text;
        if (!frame) {
          frame = requestAnimationFrame(() => {
            frame = 0;
            renderMarkdown(markdown, body, titles);
          });
        }
      },
      finish(final) {
        this.done = true;
        if (frame) cancelAnimationFrame(frame);
        frame = 0;
        if (final.citations) {
          showSources(final.covered === false ? [] : final.citations, final.examples || []);
        }
        renderMarkdown(final.answer || markdown, body, titles);
        body.setAttribute("aria-busy", "false");
        const llm = final.mode === "llm";
        modeBadge.className = `badge ${llm ? "badge-llm" : "badge-extractive"}`;
        modeBadge.textContent = llm ? "LLM answer" : "Extractive";
        // the lead's texts come from the server (the done event's `lead`); an extractive answer
        // says in its own text, under its bottom line, that no model wrote it and how sure it is
        const lead = final.lead || {};
        const parts = lead.byline ? [lead.byline] : [];
        parts.push(`Release ${final.release || release}`);
        const took = conv.elapsed(final.timings && final.timings.total_ms);
        if (took) parts.push(took);
        modeText.textContent = parts.join(" · ");
        if (final.verdict) {
          metaLine.insertBefore(
            el("span", { className: `badge verdict verdict-${String(final.verdict).replace(/[^a-z]/g, "")}`, text: `Verdict: ${final.verdict}` }),
            modeText,
          );
        }
        if (final.notice) {
          notice.textContent = final.notice;
          notice.hidden = false;
        }
        // an extractive answer's text opens with its short answer (or "not covered") and has the
        // release note under its bottom line; a model's text does not, so the page puts them first
        if (lead.lead) {
          const short = el("div", { className: `lead markdown ${final.covered === false ? "not-covered" : "short-answer"}` });
          renderMarkdown(lead.lead, short, titles);
          answer.insertBefore(short, body);
        }
        if (lead.note) {
          const note = el("div", { className: "release-note markdown" });
          renderMarkdown(lead.note, note, titles);
          answer.insertBefore(note, body);
        }
      },
      fail(message) {
        if (frame) cancelAnimationFrame(frame);
        frame = 0;
        if (markdown) renderMarkdown(markdown, body, titles);
        body.setAttribute("aria-busy", "false");
        modeBadge.className = "badge badge-error";
        modeBadge.textContent = "No answer";
        modeText.textContent = "";
        error.textContent = message;
        error.hidden = false;
      },
      stopped() {
        if (frame) cancelAnimationFrame(frame);
        frame = 0;
        renderMarkdown(markdown, body, titles);
        body.setAttribute("aria-busy", "false");
        modeBadge.className = "badge badge-muted";
        modeBadge.textContent = "Stopped";
        modeText.textContent = "You stopped this answer.";
      },
    };
  }

  function reducedMotion() {
    return window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  function setBusy(controller) {
    busy = controller;
    ui.send.textContent = controller ? "Stop" : "Ask";
    ui.send.classList.toggle("button-stop", Boolean(controller));
    ui.send.setAttribute("aria-label", controller ? "Stop the answer" : "Ask");
    updateCounter();
  }

  /**
   * Ask a question. A follow-up carries the earlier questions of the conversation as `history`;
   * a permalink's question carries its own instead (none for a link that has none).
   */
  async function ask(rawQuestion, { history = null } = {}) {
    const question = rawQuestion.trim();
    if (!question || busy) return;
    if (questionLength(question) > MAX_CHARS) {
      ui.question.value = rawQuestion;
      updateCounter();
      ui.question.focus();
      return;
    }
    const earlier = history ?? conv.history(conversation);
    clearFollowups();
    ui.welcome.hidden = true;
    // a permalink's earlier questions are not on the page: the turn names them
    const turn = createTurn(question, history ?? []);
    ui.thread.append(turn.root);
    updateNewConversation();
    turn.root.scrollIntoView({ block: "start", behavior: reducedMotion() ? "auto" : "smooth" });
    ui.question.value = "";

    const controller = new AbortController();
    setBusy(controller);
    // the examples show as cards under the answer: no list of them in its text
    const body = { question, list_examples: false };
    if (ui.release.value) body.release = ui.release.value;
    if (ui.mode.value) body.mode = ui.mode.value;
    if (earlier.length) body.history = earlier;
    try {
      const response = await fetch("/v1/answer?stream=true", {
        method: "POST",
        headers: apiHeaders({ "Content-Type": "application/json", Accept: "text/event-stream" }),
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      if (!response.ok) throw await apiError(response);
      for await (const event of readEvents(response)) {
        let data;
        try {
          data = JSON.parse(event.data);
        } catch (_) {
          continue;
        }
        if (event.type === "meta") turn.showMeta(data);
        else if (event.type === "delta") turn.append(typeof data.text === "string" ? data.text : "");
        else if (event.type === "done") {
          turn.finish(data);
          remember(turn, question, data, earlier);
        } else if (event.type === "error") {
          const detail = data.error || data;
          throw new ApiError(500, String(detail.type || "stream_error"), String(detail.message || "the answer failed"));
        }
      }
      if (!turn.done) failed(turn, "The answer stopped before it was complete. Try again.", rawQuestion);
    } catch (error) {
      if (error && error.name === "AbortError") {
        turn.stopped();
        if (!ui.question.value.trim()) ui.question.value = rawQuestion; // to ask again
        updateCounter();
      } else {
        failed(turn, describeError(error), rawQuestion);
        if (error instanceof ApiError && error.status === 401) ui.settings.open = true;
      }
    } finally {
      setBusy(null);
    }
  }

  /** Show the error in the turn and give the question back to the box (unless it holds another). */
  function failed(turn, message, rawQuestion) {
    turn.fail(message);
    if (!ui.question.value.trim()) ui.question.value = rawQuestion;
    updateCounter();
  }

  /** A finished answer joins the stored conversation and gets its tools and follow-ups. */
  function remember(turn, question, answer, earlier) {
    const entry = { question, answer, history: earlier };
    conversation.push(entry);
    conv.save(conversation);
    turn.article.append(answerTools(entry));
    showFollowups(turn, answer);
  }

  /** Draw the stored conversation again (after a reload). */
  function restoreConversation() {
    conversation.forEach((entry, index) => {
      // the first turn of a conversation opened from a follow-up's permalink
      const turn = createTurn(entry.question, index === 0 ? entry.history || [] : []);
      ui.thread.append(turn.root);
      turn.showMeta(entry.answer);
      turn.finish(entry.answer);
      turn.article.append(answerTools(entry));
      if (index === conversation.length - 1) showFollowups(turn, entry.answer);
    });
    ui.welcome.hidden = conversation.length > 0;
    updateNewConversation();
    if (ui.thread.lastElementChild) ui.thread.lastElementChild.scrollIntoView({ block: "start" });
  }

  function newConversation() {
    if (busy) busy.abort();
    conversation = [];
    conv.save(conversation);
    ui.thread.replaceChildren();
    ui.welcome.hidden = false;
    updateNewConversation();
    ui.question.focus();
  }

  function updateNewConversation() {
    ui.newConversation.disabled = ui.thread.children.length === 0;
  }

  // --- under each answer: copy, permalink, feedback; follow-ups under the last ---------------------

  const MAX_COMMENT_CHARS = 2000; // what POST /web/feedback accepts
  const SVG_NS = "http://www.w3.org/2000/svg";
  const THUMB = "M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.3a2 2 0 0 0 2-1.7l1.4-9a2 2 0 0 0-2-2.3zM7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2h3";

  function thumbIcon(down) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("class", down ? "thumb thumb-down" : "thumb");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", THUMB);
    svg.append(path);
    return svg;
  }

  function answerTools(entry) {
    const bar = el("div", { className: "answer-tools" });
    bar.append(copyButton(entry), permalinkLink(entry));
    if (entry.answer.id) bar.append(feedbackControls(entry));
    return bar;
  }

  function copyButton(entry) {
    const button = el("button", { className: "tool-button copy-markdown", text: "Copy as markdown", attrs: { type: "button" } });
    const status = el("span", { className: "tool-status", attrs: { role: "status" } });
    button.addEventListener("click", async () => {
      const copied = await copyText(conv.markdown(entry.question, entry.answer, entry.history));
      status.textContent = copied ? "Copied" : "Could not copy";
    });
    return el("span", { className: "tool" }, [button, status]);
  }

  /** Copy to the clipboard; where the Clipboard API is missing (plain http), a selected textarea. */
  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (_) {
      const area = el("textarea", { className: "visually-hidden", text, attrs: { readonly: "", "aria-hidden": "true" } });
      document.body.append(area);
      area.select();
      const copied = document.execCommand("copy");
      area.remove();
      return copied;
    }
  }

  function permalinkLink(entry) {
    const link = el("a", {
      className: "tool-button permalink",
      text: "Permalink",
      attrs: { target: "_blank", rel: "noopener", title: "A link that asks this question again" },
    });
    link.href = conv.permalink(entry.question, entry.answer.release, entry.history);
    return link;
  }

  function ratingButton(rating, label) {
    const button = el("button", {
      className: `tool-button rating rating-${rating}`,
      attrs: { type: "button", "aria-pressed": "false", "aria-label": label, title: label },
    });
    button.append(thumbIcon(rating === "down"));
    return button;
  }

  /** 👍/👎 posts the rating to /web/feedback at once and opens an optional comment; Send posts
   * the rating again with it. Both carry this browser's rater token: a later rating of the same
   * answer replaces the earlier. */
  function feedbackControls(entry) {
    const up = ratingButton("up", "Helpful");
    const down = ratingButton("down", "Not helpful");
    const comment = el("input", {
      className: "feedback-comment",
      attrs: {
        type: "text",
        maxlength: String(MAX_COMMENT_CHARS),
        placeholder: "Add a comment (optional)",
        "aria-label": "Comment (optional)",
      },
    });
    const send = el("button", { className: "button button-small", text: "Send", attrs: { type: "submit" } });
    const form = el("form", { className: "feedback-form" }, [comment, send]);
    form.hidden = true;
    const status = el("span", { className: "feedback-status", attrs: { role: "status" } });
    const root = el("div", { className: "feedback", attrs: { role: "group", "aria-label": "Rate this answer" } }, [up, down, status, form]);
    let rating = null;
    const press = (value) => {
      rating = value;
      up.setAttribute("aria-pressed", String(value === "up"));
      down.setAttribute("aria-pressed", String(value === "down"));
    };
    const sent = (value) => {
      press(value);
      up.disabled = down.disabled = true;
      form.hidden = true;
      status.textContent = "Thanks for the feedback.";
    };
    const post = async (value, text) => {
      const body = { answer_id: entry.answer.id, rating: value, rater: conv.rater() };
      if (text) body.comment = text;
      await postJson("/web/feedback", body);
      entry.feedback = value;
      conv.save(conversation);
    };
    for (const [button, value] of [[up, "up"], [down, "down"]]) {
      button.addEventListener("click", async () => {
        press(value);
        form.hidden = false;
        status.textContent = "";
        comment.focus();
        try {
          await post(value, "");
          if (rating === value) status.textContent = "Rated. Add a comment if you like.";
        } catch (error) {
          status.textContent = describeError(error);
        }
      });
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      send.disabled = true;
      try {
        await post(rating, comment.value.trim());
        sent(rating);
      } catch (error) {
        status.textContent = describeError(error);
      } finally {
        send.disabled = false;
      }
    });
    if (entry.feedback === "up" || entry.feedback === "down") sent(entry.feedback);
    return root;
  }

  function clearFollowups() {
    for (const box of ui.thread.querySelectorAll(".followups")) box.remove();
  }

  /** Two or three follow-up questions under the last answer, built from its data. */
  async function showFollowups(turn, answer) {
    const box = el("section", { className: "followups", attrs: { "aria-label": "Suggested follow-ups" } });
    box.hidden = true;
    turn.root.append(box);
    const [parent] = await Promise.all([parentTitle(answer), releasesReady]);
    const asked = new Set(conversation.map((entry) => entry.question));
    const questions = conv.followups(answer, releaseNames, parent).filter((q) => !asked.has(q));
    if (!box.isConnected || !questions.length) return;
    const buttons = questions.map((question) => {
      const button = el("button", { className: "suggestion followup", text: question, attrs: { type: "button" } });
      button.addEventListener("click", () => {
        ask(question);
        ui.question.focus();
      });
      return button;
    });
    box.append(el("h3", { className: "block-title", text: "Follow up" }), el("div", { className: "suggestions" }, buttons));
    box.hidden = false;
  }

  /** The title of the rule the answer's top section belongs to, or null. */
  async function parentTitle(answer) {
    const top = (answer.citations || [])[0];
    if (!top) return null;
    try {
      const card = await sectionCard(top.section_id, top.release || answer.release);
      const path = Array.isArray(card.path) ? card.path : [];
      const hasParent = Array.isArray(card.parents) && card.parents.length > 0;
      return hasParent && path.length > 1 ? String(path[path.length - 2]) : null;
    } catch (_) {
      return null;
    }
  }

  // --- the section panel -------------------------------------------------------------------------

  /** "Release 2025-12-18", never broken at a hyphen on a narrow screen. */
  function releaseLabel(release) {
    return el("span", { className: "nowrap", text: `Release ${release}` });
  }

  async function openSection(sectionId, release, opener) {
    dialogOpener = opener || document.activeElement;
    const token = ++dialogToken;
    ui.dialogPath.replaceChildren(...(release ? [releaseLabel(release)] : []));
    ui.dialogTitle.textContent = sectionId;
    ui.dialogContent.replaceChildren(el("p", { className: "loading", text: "Loading the section…" }));
    ui.dialogContent.setAttribute("aria-busy", "true");
    if (!ui.dialog.open) ui.dialog.showModal();
    ui.dialogClose.focus();
    try {
      const card = await sectionCard(sectionId, release);
      if (token === dialogToken) renderSection(card);
    } catch (error) {
      if (token !== dialogToken) return;
      ui.dialogContent.replaceChildren(el("p", { className: "error", text: describeError(error), attrs: { role: "alert" } }));
    } finally {
      if (token === dialogToken) ui.dialogContent.setAttribute("aria-busy", "false");
    }
  }

  function renderSection(card) {
    const path = Array.isArray(card.path) ? card.path.slice(0, -1) : [];
    ui.dialogPath.replaceChildren(...path.map((title) => `${title} › `), releaseLabel(card.release));
    ui.dialogTitle.textContent = card.title;

    const fragment = document.createDocumentFragment();
    fragment.append(
      el("div", { className: "section-authority" }, [
        authorityBadge(card.authority),
        el("p", { className: "authority-meaning", text: card.authority_meaning || "" }),
      ]),
    );
    const official = specLink(card.url, "Read this section on model-spec.openai.com", "official-link");
    if (official.nodeType === Node.ELEMENT_NODE) {
      official.append(el("span", { className: "external", text: " ↗", attrs: { "aria-hidden": "true" } }));
      official.setAttribute("aria-label", `${card.title} on model-spec.openai.com (opens in a new tab)`);
    }
    fragment.append(el("p", { className: "official" }, [official]));

    const text = el("div", { className: "section-text markdown" });
    renderMarkdown(card.body || "", text);
    fragment.append(text);

    if (Array.isArray(card.commentary) && card.commentary.length) {
      const commentary = el("aside", { className: "commentary", attrs: { "aria-label": "Commentary" } });
      commentary.append(el("h3", { className: "block-title", text: "Commentary" }));
      for (const note of card.commentary) {
        const holder = el("div", { className: "markdown" });
        renderMarkdown(note, holder);
        commentary.append(holder);
      }
      fragment.append(commentary);
    }
    const examples = Array.isArray(card.examples) ? card.examples : [];
    let made = [];
    if (examples.length) {
      const grid = el("div", { className: "example-grid example-grid-single" });
      made = examples.map((example) => exampleCard(example, card.release, { sectionLink: false }));
      grid.append(...made);
      fragment.append(el("h3", { className: "block-title", text: `Examples in this section (${examples.length})` }), grid);
    }
    ui.dialogContent.replaceChildren(fragment);
    ui.dialogContent.scrollTop = 0;
    made.forEach(foldIfLong);
  }

  function initDialog() {
    ui.dialogClose.addEventListener("click", () => ui.dialog.close());
    ui.dialog.addEventListener("click", (event) => {
      if (event.target === ui.dialog) ui.dialog.close(); // a click on the backdrop
    });
    ui.dialog.addEventListener("close", () => {
      dialogToken += 1;
      if (dialogOpener && typeof dialogOpener.focus === "function" && dialogOpener.isConnected) dialogOpener.focus();
      dialogOpener = null;
    });
  }

  // --- the composer ------------------------------------------------------------------------------

  /** Characters as the server counts them (code points, surrounding space ignored). */
  function questionLength(text) {
    return Array.from(text.trim()).length;
  }

  function updateCounter() {
    const count = questionLength(ui.question.value);
    const over = count - MAX_CHARS;
    ui.charCount.textContent = over > 0 ? `${count} / ${MAX_CHARS} · ${over} too many` : `${count} / ${MAX_CHARS}`;
    ui.charCount.classList.toggle("over", over > 0);
    ui.question.setAttribute("aria-invalid", String(over > 0));
    ui.send.disabled = over > 0 && !busy;
  }

  function initComposer() {
    ui.form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (busy) busy.abort();
      else ask(ui.question.value);
    });
    ui.question.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
      event.preventDefault();
      if (!busy) ask(ui.question.value);
    });
    ui.question.addEventListener("input", updateCounter);
    ui.newConversation.addEventListener("click", newConversation);
    for (const button of document.querySelectorAll(".suggestion")) {
      button.addEventListener("click", () => {
        ask(button.textContent || "");
        ui.question.focus();
      });
    }
    updateCounter();
  }

  /**
   * A permalink (/?q=…&release=…&h=…) asks its question once, after its earlier questions (`h`),
   * then the address is plain `/` again.
   */
  async function askLinkedQuestion() {
    const linked = conv.linkedQuestion(window.location);
    if (!linked) return;
    window.history.replaceState(null, "", "/");
    await releasesReady;
    if (releaseNames.includes(linked.release)) ui.release.value = linked.release;
    ask(linked.question, { history: linked.history });
  }

  /** The LLM answer mode is offered only when the server has an LLM (``/readyz`` says). */
  async function checkLlm() {
    try {
      const response = await fetch("/readyz");
      const data = await response.json();
      if (data.llm !== false) return;
    } catch (_) {
      return; // not known: keep the choice
    }
    const option = ui.mode.querySelector('option[value="llm"]');
    option.disabled = true;
    option.textContent = "LLM (none configured on this server)";
    if (ui.mode.value === "llm") ui.mode.value = "";
  }

  initSettings();
  initDialog();
  initComposer();
  checkLlm();
  releasesReady = loadReleases();
  restoreConversation();
  askLinkedQuestion();
  ui.question.focus();
})();

// specqa web page: the conversation's data. What this browser stores (localStorage: the
// conversation and its rater token), the earlier questions a follow-up sends as history, an
// answer as markdown, its permalink (with the earlier questions the answer was asked after), the suggested follow-ups and how long an answer took. No DOM
// work here: app.js draws.
"use strict";

window.specqaConversation = (() => {
  const STORAGE = "specqa.conversation";
  const MAX_STORED = 30; // turns kept in this browser; the oldest go first
  const MAX_HISTORY = 20; // earlier questions sent with a follow-up (the server's limit)
  // A permalink carries the earlier questions, newest first, while the link stays this short:
  // what chat apps and proxies pass whole, far under the server's 16 KiB of headers.
  const MAX_PERMALINK_CHARS = 4000;

  // --- storage: [{question, answer, history?, feedback?}], oldest first ----------------------------
  // (history: the earlier questions the answer was asked after; missing in turns stored before)

  function isTurn(turn) {
    return (
      Boolean(turn) &&
      typeof turn.question === "string" &&
      Boolean(turn.answer) &&
      typeof turn.answer === "object" &&
      typeof turn.answer.answer === "string"
    );
  }

  /** The stored turns; [] when there are none or they cannot be read. */
  function load() {
    try {
      const turns = JSON.parse(localStorage.getItem(STORAGE) || "[]");
      return Array.isArray(turns) ? turns.filter(isTurn) : [];
    } catch (_) {
      return [];
    }
  }

  /** Store the turns, dropping the oldest until they fit in the browser's quota. */
  function save(turns) {
    let kept = turns.slice(-MAX_STORED);
    for (;;) {
      try {
        if (kept.length) localStorage.setItem(STORAGE, JSON.stringify(kept));
        else localStorage.removeItem(STORAGE);
        return;
      } catch (_) {
        if (!kept.length) return; // storage is off: the conversation lives until the page closes
        kept = kept.slice(1);
      }
    }
  }

  // --- the rater: this browser's random token, so its ratings count once per answer -------------

  const RATER = "specqa.rater";
  const RATER_FORMAT = /^[0-9a-f]{32}$/;
  let sessionRater = ""; // where storage is off, one token for as long as the page is open

  function newToken() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  /** This browser's rater token: made once at random and kept in localStorage. */
  function rater() {
    try {
      const stored = localStorage.getItem(RATER) || "";
      if (RATER_FORMAT.test(stored)) return stored;
      const made = newToken();
      localStorage.setItem(RATER, made);
      return made;
    } catch (_) {
      sessionRater = sessionRater || newToken();
      return sessionRater;
    }
  }

  /**
   * The earlier questions a follow-up carries, oldest first: those the last answer was asked
   * after (a permalink's, too), then its question.
   */
  function history(turns) {
    const last = turns[turns.length - 1];
    if (!last) return [];
    const before = isQuestions(last.history) ? last.history : turns.slice(0, -1).map((turn) => turn.question);
    return [...before, last.question].slice(-MAX_HISTORY);
  }

  function isQuestions(list) {
    return Array.isArray(list) && list.every((item) => typeof item === "string");
  }

  // --- links and markdown ------------------------------------------------------------------------

  /**
   * A link that opens this page and asks `question` of `release` after the `earlier` questions
   * (`h`, oldest first): the newest of them that fit in MAX_PERMALINK_CHARS, none if even the
   * one before it does not (a follow-up alone can mean something else).
   */
  function permalink(question, release, earlier = []) {
    const url = new URL("/", window.location.origin);
    url.searchParams.set("q", question);
    if (release) url.searchParams.set("release", release);
    const carried = [];
    const turns = isQuestions(earlier) ? earlier : [];
    for (const turn of [...turns].reverse().slice(0, MAX_HISTORY)) {
      const tried = new URL(url.href);
      [turn, ...carried].forEach((each) => tried.searchParams.append("h", each));
      if (tried.href.length > MAX_PERMALINK_CHARS) break;
      carried.unshift(turn);
    }
    carried.forEach((turn) => url.searchParams.append("h", turn));
    return url.href;
  }

  /** The question, release and earlier questions the page's address asks, or null. */
  function linkedQuestion(location) {
    const params = new URLSearchParams(location.search);
    const question = (params.get("q") || "").trim();
    if (!question) return null;
    const history = params.getAll("h").map((turn) => turn.trim()).filter(Boolean).slice(-MAX_HISTORY);
    return { question, release: params.get("release") || "", history };
  }

  /**
   * The question and its answer as markdown: the text, then the cited sections with links
   * (`earlier`: the questions it was asked after, for its permalink).
   */
  function markdown(question, answer, earlier = []) {
    const lines = [`## ${question}`, "", String(answer.answer || "").trim()];
    const citations = Array.isArray(answer.citations) ? answer.citations : [];
    if (citations.length) {
      lines.push("", `**Sources** (Model Spec release ${answer.release})`, "");
      citations.forEach((c, index) => {
        const authority = c.authority || "none";
        lines.push(`${index + 1}. [${c.title}](${c.url}) · \`${c.section_id}\` · authority: ${authority}`);
      });
    }
    lines.push("", `[Ask this again](${permalink(question, answer.release, earlier)})`);
    return `${lines.join("\n")}\n`;
  }

  // --- suggested follow-ups ----------------------------------------------------------------------

  /**
   * Up to three follow-up questions from an answer's data: the examples of the section it cites
   * that has some, what changed in its top section since the oldest release (`releases` is oldest
   * first), and the rule its top section belongs to (`parentTitle`, when it has one).
   */
  function followups(answer, releases, parentTitle) {
    const citations = Array.isArray(answer.citations) ? answer.citations : [];
    const top = citations[0];
    // off topic, the closest section is named, not answered from: nothing of it to follow up
    if (!top || answer.covered === false) return [];
    const questions = [];
    const examples = Array.isArray(answer.examples) ? answer.examples : [];
    const withExamples = citations.find((c) => examples.some((e) => e.section_id === c.section_id));
    if (withExamples) questions.push(`Show the examples for “${withExamples.title}”`);
    const oldest = releases[0];
    if (oldest && answer.release && oldest < answer.release) {
      questions.push(`What changed in “${top.title}” between ${oldest} and ${answer.release}?`);
    }
    if (parentTitle) questions.push(`What does the parent rule “${parentTitle}” say?`);
    return questions.slice(0, 3);
  }

  /** An answer's time as the page shows it: "45 ms" under a second, else "1.2 s"; "" if unknown. */
  function elapsed(ms) {
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) return "";
    return Math.round(ms) < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
  }

  return { load, save, history, rater, permalink, linkedQuestion, markdown, followups, elapsed };
})();

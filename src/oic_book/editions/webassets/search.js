// The web edition's search page (search.html?q=…): Pagefind's static index, read in the
// browser, offline. Pagefind has no Kazakh stemmer, but it matches the start of words; so
// the Kazakh endings of each query word are taken off first, and «Қазақстанның» finds
// «Қазақстан», «Қазақстанға» and «Қазақстанның» alike (tests/test_web_browser.py).
// A classic script, not a module: opened from the disk, a page may run it (and say that
// search needs a web server), where a module script would not run at all.
"use strict";
(() => {
const here = document.currentScript.src;

// Case, plural, possessive and locative endings, longest first within each step; a stem
// keeps at least MIN_STEM letters, so short words are left as they are.
const ENDINGS = [
  "ндағы", "ндегі", "дағы", "дегі", "тағы", "тегі",
  "ларың", "лерің", "дарың", "дерің", "тарың", "терің",
  "лары", "лері", "дары", "дері", "тары", "тері",
  "ның", "нің", "дың", "дің", "тың", "тің",
  "нан", "нен", "дан", "ден", "тан", "тен",
  "нда", "нде", "мен", "бен", "пен",
  "лар", "лер", "дар", "дер", "тар", "тер",
  "мыз", "міз", "ңыз", "ңіз",
  "ға", "ге", "қа", "ке", "на", "не", "да", "де", "та", "те",
  "ны", "ні", "ды", "ді", "ты", "ті", "сы", "сі",
  "ым", "ім", "ың", "ің", "ын", "ін",
  "а", "е", "ы", "і", "н",
];
const MIN_STEM = 4;

function stem(word) {
  let current = word.toLocaleLowerCase("kk");
  for (let changed = true; changed; ) {
    changed = false;
    for (const ending of ENDINGS) {
      if (current.endsWith(ending) && current.length - ending.length >= MIN_STEM) {
        current = current.slice(0, -ending.length);
        changed = true;
        break;
      }
    }
  }
  return current;
}

function stemQuery(query) {
  const words = [];
  for (const word of query.split(/\s+/u)) {
    // A hyphen may join an ending to an abbreviation or a number (ИЫҰ-ның, 38-сессия):
    // such an ending is dropped; the parts of a compound (Кэмп-Дэвид) are kept.
    const parts = word.replace(/[«»"“”.,:;!?()]/gu, "").split(/[\u2010\u2011-]+/u);
    for (const [index, part] of parts.entries()) {
      const lower = part.toLocaleLowerCase("kk");
      if (index > 0 && ENDINGS.includes(lower)) continue;
      if (lower) words.push(stem(lower));
    }
  }
  return words.join(" ");
}

function say(status, text) {
  status.textContent = text;
}

async function main() {
  const status = document.getElementById("search-status");
  const list = document.getElementById("search-results");
  const input = document.getElementById("search-query");
  const query = new URLSearchParams(location.search).get("q") || "";
  input.value = query;
  if (location.protocol === "file:") {
    say(status, status.dataset.needsServer);
    return;
  }
  say(status, "");
  if (!query.trim()) return;
  const pagefind = await import(new URL("../pagefind/pagefind.js", here).href);
  await pagefind.options({ excerptLength: 24 });
  const search = await pagefind.search(stemQuery(query));
  const results = await Promise.all(search.results.slice(0, 50).map((r) => r.data()));
  list.replaceChildren(
    ...results.map((result) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = result.url.replace(/^\//, "");
      link.textContent = result.meta.title || result.url;
      const excerpt = document.createElement("p");
      excerpt.innerHTML = result.excerpt; // Pagefind's own text, with <mark> around hits
      item.append(link, excerpt);
      return item;
    }),
  );
  say(
    status,
    results.length
      ? status.dataset.results.replace("{n}", String(search.results.length))
      : status.dataset.none,
  );
}

window.oicSearch = { stem, stemQuery }; // for the tests and the curious

main().catch((error) => {
  document.getElementById("search-status").textContent = String(error);
});
})();

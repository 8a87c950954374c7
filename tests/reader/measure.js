/* Layout measurements of one EPUB document as epub.js shows it (tests/reading.py).

   epub.js paginates with CSS columns on <body>: column k holds page k. Everything is
   measured in the content iframe's coordinates, in CSS px; a gap is given in em of the
   paragraph (block) it is in. */

(function () {
  "use strict";

  const INLINE = /^(inline|contents|ruby)/;

  function blockOf(element, win) {
    while (element && INLINE.test(win.getComputedStyle(element).display)) {
      element = element.parentElement;
    }
    return element;
  }

  function hidden(element, win) {
    for (let e = element; e; e = e.parentElement) {
      if (e.hidden || win.getComputedStyle(e).display === "none") return true;
    }
    return false;
  }

  /* f(element) computed once per element. */
  function cached(f) {
    const memo = new Map();
    return (element) => {
      if (!memo.has(element)) memo.set(element, f(element));
      return memo.get(element);
    };
  }

  function describe(element) {
    const id = element.closest("[id]");
    return element.localName + (id ? "#" + id.id : "");
  }

  /* The page columns: where column k starts and ends, and the page's height. */
  function columns(doc) {
    const win = doc.defaultView;
    const body = doc.body;
    const style = win.getComputedStyle(body);
    const padLeft = parseFloat(style.paddingLeft) || 0;
    const padRight = parseFloat(style.paddingRight) || 0;
    const gap = parseFloat(style.columnGap) || 0;
    const box = body.getBoundingClientRect();
    const width = body.clientWidth - padLeft - padRight;
    const top = box.top + (parseFloat(style.paddingTop) || 0);
    const height = body.clientHeight - (parseFloat(style.paddingTop) || 0)
      - (parseFloat(style.paddingBottom) || 0);
    const origin = box.left + padLeft;
    const step = width + gap;
    return {
      width, height, top, step,
      index: (x) => Math.floor((x - origin + gap / 2) / step),
      left: (k) => origin + k * step,
      right: (k) => origin + k * step + width,
    };
  }

  /* Every word of the visible text, with its rectangles and its block. */
  function words(doc) {
    const win = doc.defaultView;
    const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
    const found = [];
    const range = doc.createRange();
    const isHidden = cached((element) => hidden(element, win));
    const block = cached((element) => blockOf(element, win));
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.data.trim() || isHidden(node.parentElement)) continue;
      const container = block(node.parentElement);
      const re = /\S+/g;
      let match;
      while ((match = re.exec(node.data)) !== null) {
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0);
        if (rects.length) found.push({ text: match[0], rects, block: container, node });
      }
    }
    return found;
  }

  /* Lines (a block's words at one height in one column) and their widest word gap.
     A word belongs to a line when their boxes overlap by more than half the smaller
     height: raised, lowered and other-script text (sup, sub, Arabic) stays on its line.
     Preformatted text is left out: its spaces are content. */
  function lines(doc, cols, found) {
    const win = doc.defaultView;
    const groups = new Map();
    const preformatted = cached((block) => /^pre|break-spaces/.test(win.getComputedStyle(block).whiteSpace));
    for (const word of found) {
      if (preformatted(word.block)) continue;
      for (const rect of word.rects) {
        const key = word.block;
        if (!groups.has(key)) groups.set(key, []);
        const column = cols.index(rect.left + 0.5);
        const height = rect.bottom - rect.top;
        let line = groups.get(key).find((l) => l.column === column
          && Math.min(l.bottom, rect.bottom) - Math.max(l.top, rect.top)
             > 0.5 * Math.min(height, l.bottom - l.top));
        if (!line) {
          line = { column, top: rect.top, bottom: rect.bottom, rects: [], block: word.block };
          groups.get(key).push(line);
        }
        line.rects.push(rect);
      }
    }
    const result = [];
    for (const blockLines of groups.values()) {
      for (const line of blockLines) {
        const em = parseFloat(win.getComputedStyle(line.block).fontSize);
        const rects = line.rects.sort((a, b) => a.left - b.left);
        let widest = 0;
        for (let i = 1; i < rects.length; i++) {
          widest = Math.max(widest, (rects[i].left - rects[i - 1].right) / em);
        }
        result.push({
          block: describe(line.block),
          align: win.getComputedStyle(line.block).textAlign,
          words: rects.length,
          widest: Math.round(widest * 100) / 100,
        });
      }
    }
    return result;
  }

  /* Words and pictures that do not fit in their page: across a column edge, or, for
     pictures and tables, taller than the page. */
  function clipped(doc, cols, found) {
    const out = [];
    for (const word of found) {
      for (const rect of word.rects) {
        const k = cols.index(rect.left + 0.5);
        if (rect.right > cols.right(k) + 0.5 || rect.left < cols.left(k) - 0.5) {
          out.push({ what: word.text, where: describe(word.block), width: rect.width });
        }
      }
    }
    for (const element of doc.body.querySelectorAll("img, svg, table, pre, figure")) {
      // A table or a code block may run on over pages: each page's fragment must fit.
      const picture = !/^(table|pre)$/.test(element.localName);
      for (const rect of element.getClientRects()) {
        if (rect.width === 0) continue;
        const k = cols.index(rect.left + 0.5);
        if (rect.right > cols.right(k) + 0.5 || (picture && rect.height > cols.height + 0.5)) {
          out.push({ what: element.localName, where: describe(element),
                     width: rect.width, height: rect.height });
        }
      }
    }
    return out;
  }

  /* Note calls: their box, and the square around their centre that hits them. */
  function noteCalls(doc) {
    const out = [];
    for (const call of doc.querySelectorAll('a[role="doc-noteref"]')) {
      const rect = call.getBoundingClientRect();
      const cx = rect.left + rect.width / 2;
      const cy = rect.top + rect.height / 2;
      out.push({
        id: call.id, href: call.getAttribute("href"),
        width: rect.width, height: rect.height,
        target: hitSquare(doc, call, cx, cy),
        fontSize: parseFloat(doc.defaultView.getComputedStyle(call).fontSize),
      });
    }
    return out;
  }

  /* The side of the largest square centred on (cx, cy) whose every point (1 px grid)
     hits `element`; the page must show it (elementFromPoint sees the viewport only). */
  function hitSquare(doc, element, cx, cy) {
    let side = 0;
    for (let half = 1; half <= 20; half++) {
      for (let dx = -half; dx <= half; dx++) {
        for (const dy of [-half, half]) {
          if (!hits(doc, element, cx + dx, cy + dy) || !hits(doc, element, cx + dy, cy + dx)) {
            return side;
          }
        }
      }
      side = 2 * half;
    }
    return side;
  }

  function hits(doc, element, x, y) {
    const hit = doc.elementFromPoint(x, y);
    return hit !== null && (hit === element || element.contains(hit));
  }

  window.oicMeasure = function (doc) {
    const cols = columns(doc);
    const found = words(doc);
    return {
      column: { width: cols.width, height: cols.height, step: cols.step,
                pages: Math.round(doc.body.scrollWidth / cols.step) },
      lines: lines(doc, cols, found),
      clipped: clipped(doc, cols, found),
      noteCalls: noteCalls(doc),
      fonts: Array.from(doc.fonts).filter((f) => f.status === "loaded").map((f) => f.family),
    };
  };
  window.oicHitSquare = function (doc, id) {
    const call = doc.getElementById(id);
    const rect = call.getBoundingClientRect();
    return hitSquare(doc, call, rect.left + rect.width / 2, rect.top + rect.height / 2);
  };
})();

// The live preview's script (oic-book serve adds it to every page it serves; the built
// site never has it). It listens to the server's events: a newer version of the pages
// reloads this one; problems in the manuscript and the state of the background PDF are
// shown in a bar at the foot of the page, over the last good text.
(() => {
  const script = document.currentScript;
  const version = Number(script.dataset.version);
  const bar = document.createElement("div");
  bar.id = "oic-preview";
  bar.setAttribute("role", "status");
  bar.style.cssText = [
    "position:fixed", "left:0", "right:0", "bottom:0", "z-index:1000",
    "max-height:45vh", "overflow:auto", "padding:0.35rem 1rem",
    "font:14px/1.45 'Noto Sans', sans-serif", "background:#20232a", "color:#f3f1ea",
    "border-top:3px solid #3a7d44",
  ].join(";");
  const problems = document.createElement("pre");
  problems.id = "oic-preview-problems";
  problems.style.cssText = "margin:0 0 0.3rem;white-space:pre-wrap;font:13px/1.4 'Noto Sans', sans-serif;color:#ffd2cc";
  const pdf = document.createElement("p");
  pdf.id = "oic-preview-pdf";
  pdf.style.cssText = "margin:0;text-indent:0";
  bar.append(problems, pdf);
  document.body.append(bar);
  document.body.style.paddingBottom = "3rem";

  const say = {
    waiting: "PDF: күтілуде",
    building: "PDF: жасалып жатыр…",
    ready: "PDF: дайын — ",
    failed: "PDF: жасалмады: ",
  };

  function show(state) {
    problems.textContent = state.problems.join("\n");
    problems.hidden = state.problems.length === 0;
    bar.style.borderTopColor = state.errors ? "#d9534f" : "#3a7d44";
    pdf.replaceChildren(say[state.pdf] || state.pdf);
    if (state.pdf === "ready") {
      const link = document.createElement("a");
      link.href = state.pdfHref + "?v=" + state.version;
      link.textContent = state.pdfHref;
      link.style.color = "#9cc4ff";
      pdf.append(link);
    } else if (state.pdf === "failed") {
      pdf.append(state.pdfMessage);
    }
    bar.dataset.pdf = state.pdf;
  }

  const events = new EventSource("/__preview/events");
  events.addEventListener("state", (event) => {
    const state = JSON.parse(event.data);
    if (state.version !== version) {
      location.reload();
      return;
    }
    show(state);
  });
})();

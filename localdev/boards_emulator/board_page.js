/* The emulator's board page (board_page.py): drag a card, or use its Move to list. */
"use strict";
const here = location.pathname.replace(/\/$/, "");
let view = JSON.parse(document.getElementById("data").textContent);
let dragging = null;
function say(text, bad) { const s = document.getElementById("status"); s.textContent = text; s.className = bad ? "bad" : ""; }
async function move(id, column) {
  say("Moving #" + id + " to " + column + "…");
  const answer = await fetch(here + "/move", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({id: id, column: column})});
  const body = await answer.json();
  if (!answer.ok) { say("Not moved: " + body.error.message, true); return; }
  say("Moved #" + id + " to " + column + " as " + view.person + " (revision " + body.rev + ").");
  await refresh();
}
async function refresh() {
  const answer = await fetch(here + "/cards");
  if (answer.ok) { view = await answer.json(); render(); }
}
function render() {
  const board = document.getElementById("board");
  board.replaceChildren(...view.columns.map((column) => {
    const box = document.createElement("section");
    box.className = "column";
    box.dataset.column = column.name;
    box.setAttribute("aria-label", "Column " + column.name);
    const title = document.createElement("h2");
    title.textContent = column.name + " (" + column.cards.length + ")";
    const states = document.createElement("p");
    states.className = "states";
    states.textContent = Object.entries(column.states).map(([t, s]) => t + ": " + s).join(", ");
    box.append(title, states, ...column.cards.map((card) => cardOf(card, column.name)));
    box.addEventListener("dragover", (e) => { e.preventDefault(); box.classList.add("over"); });
    box.addEventListener("dragleave", () => box.classList.remove("over"));
    box.addEventListener("drop", (e) => {
      e.preventDefault();
      box.classList.remove("over");
      const id = Number(e.dataTransfer.getData("text/plain") || dragging);
      if (id && column.name !== e.dataTransfer.getData("application/x-column")) move(id, column.name);
    });
    return box;
  }));
}
function cardOf(card, columnName) {
  const el = document.createElement("article");
  el.className = "card";
  el.draggable = true;
  el.dataset.id = card.id;
  el.setAttribute("aria-label", card.type + " " + card.id + ": " + card.title);
  const id = document.createElement("div");
  id.className = "id";
  const link = document.createElement("a");
  link.href = location.pathname.split("/_boards/")[0] + "/_workitems/edit/" + card.id;
  link.textContent = card.type + " " + card.id;
  id.append(link);
  const title = document.createElement("div");
  title.className = "title";
  title.textContent = card.title;
  const meta = document.createElement("div");
  meta.className = "meta";
  meta.textContent = "State: " + card.state + (card.lane ? " · lane " + card.lane : "");
  const label = document.createElement("label");
  const choose = document.createElement("select");
  choose.setAttribute("aria-label", "Move " + card.type + " " + card.id + " to");
  for (const column of view.columns) choose.append(new Option(column.name, column.name, false, column.name === columnName));
  choose.addEventListener("change", () => { if (choose.value !== columnName) move(card.id, choose.value); });
  label.append("Move to ", choose);
  el.append(id, title, meta, label);
  el.addEventListener("dragstart", (e) => {
    dragging = card.id;
    e.dataTransfer.setData("text/plain", String(card.id));
    e.dataTransfer.setData("application/x-column", columnName);
    e.dataTransfer.effectAllowed = "move";
  });
  return el;
}
render();
setInterval(() => { if (!document.hidden) refresh(); }, 3000);

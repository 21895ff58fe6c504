"""The chat page's stylesheet (cited passages as cards, the quoted span highlighted, documents)
and its scripts: a [n] marker scrolls to its passage card; the question box counts characters."""

CSS = """
#qa-intro h2 { margin-bottom: 0.2em; }
#qa-examples { gap: 0.5em; flex-wrap: wrap; }
#qa-examples button { flex: 0 1 auto !important; min-width: 0 !important; }
.qa-sources-title {
  font-weight: 600; font-size: 1.05em; margin: 0.6em 0 0.5em;
  color: var(--body-text-color);
}
.qa-read-as {
  font-size: 0.88em; color: var(--body-text-color-subdued); margin: -0.3em 0 0.6em;
}
.qa-citation {
  border: 1px solid var(--border-color-primary); border-left: 4px solid var(--color-accent);
  border-radius: var(--radius-lg); padding: 0.8em 1em; margin-bottom: 0.8em;
  background: var(--background-fill-secondary);
}
.qa-citation.qa-cited {
  border-color: var(--color-accent); box-shadow: 0 0 0 3px var(--color-accent-soft);
  animation: qa-cited 1.2s ease-out;
}
@keyframes qa-cited { from { background: #fde68a; } }
a.qa-cite {
  font-weight: 700; text-decoration: none; color: var(--color-accent); cursor: pointer;
}
a.qa-cite:hover { text-decoration: underline; }
.qa-citation-head { font-size: 0.9em; color: var(--body-text-color-subdued); }
.qa-citation-n { font-weight: 700; color: var(--color-accent); }
.qa-citation-source { font-weight: 600; color: var(--body-text-color); }
.qa-citation-quote {
  margin: 0.5em 0; padding: 0.1em 0 0.1em 0.8em; font-size: 1.02em;
  border-left: 3px solid var(--border-color-primary); color: var(--body-text-color);
}
.qa-citation-context-label {
  font-size: 0.78em; text-transform: uppercase; letter-spacing: 0.05em;
  color: var(--body-text-color-subdued); margin-top: 0.4em;
}
.qa-citation-context {
  margin: 0.2em 0 0; line-height: 1.55; white-space: pre-line; color: var(--body-text-color);
}
.qa-citation-context mark {
  background: #fde68a; color: #1f2937; padding: 0.05em 0.15em; border-radius: 3px;
}
.qa-declined, .qa-error, .qa-sources-empty, .qa-sources-wait {
  border-radius: var(--radius-lg); padding: 0.8em 1em; margin-top: 0.6em;
}
.qa-declined { border: 1px dashed #d97706; background: rgba(251, 191, 36, 0.12); }
.qa-declined p { margin: 0.3em 0 0; color: var(--body-text-color-subdued); }
.qa-error { border: 1px solid #dc2626; background: rgba(248, 113, 113, 0.12); }
.qa-sources-empty, .qa-sources-wait { color: var(--body-text-color-subdued); }
.qa-count {
  text-align: right; font-size: 0.8em; margin-top: 0.3em; color: var(--body-text-color-subdued);
}
.qa-count:empty { display: none; }
.qa-count-full { color: #b91c1c; font-weight: 600; }
#qa-documents {
  border: 1px solid var(--border-color-primary); border-radius: var(--radius-lg);
  padding: 0.6em 0.8em; background: var(--background-fill-secondary); align-self: flex-start;
}
#qa-docs-title h3 { margin: 0.1em 0 0.2em; }
.qa-upload-hint { font-size: 0.82em; color: var(--body-text-color-subdued); margin-top: -0.4em; }
.qa-doc-list, .qa-upload-status { list-style: none; padding: 0; margin: 0; }
.qa-doc {
  display: flex; justify-content: space-between; gap: 0.6em; padding: 0.35em 0.1em;
  border-bottom: 1px solid var(--border-color-primary); font-size: 0.92em;
}
.qa-doc:last-child { border-bottom: none; }
.qa-doc-name { font-weight: 600; overflow-wrap: anywhere; color: var(--body-text-color); }
.qa-doc-chunks { white-space: nowrap; color: var(--body-text-color-subdued); }
.qa-docs-empty { color: var(--body-text-color-subdued); font-size: 0.92em; }
.qa-upload-status li { font-size: 0.88em; padding: 0.15em 0; overflow-wrap: anywhere; }
.qa-upload-ok { color: #15803d; }
.qa-upload-failed, .qa-upload-refused { color: #b91c1c; }
.qa-upload-working, .qa-upload-done { color: var(--body-text-color-subdued); }
.qa-upload-refused, .qa-upload-done { font-size: 0.88em; }
"""

# run once when the page loads: a click on a marker (a.qa-cite, href "#qa-cite-TURN-N") brings
# its card into view and marks it .qa-cited; a marker of an earlier answer, whose cards are no
# longer shown, does nothing
SCRIPT = """() => {
  document.addEventListener('click', (event) => {
    const link = event.target instanceof Element && event.target.closest('a.qa-cite');
    if (!link) return;
    event.preventDefault();
    const card = document.getElementById(link.getAttribute('href').slice(1));
    if (!card) return;
    document.querySelectorAll('.qa-cited').forEach((other) => other.classList.remove('qa-cited'));
    card.scrollIntoView({behavior: 'smooth', block: 'center'});
    card.classList.add('qa-cited');
  }, true);
}"""

COUNT_FROM = 0.8  # the share of the question limit from which the box shows its count


def count_script(limit: int) -> str:
    """The question box's change handler, run in the browser: once the text nears ``limit``
    characters, "1,650 / 2,000 characters" in the box's corner, in red at the limit."""
    return f"""(text) => {{
  const box = document.querySelector('#qa-question');
  if (!box) return [];
  let count = box.querySelector('.qa-count');
  if (!count) {{
    count = document.createElement('div');
    count.className = 'qa-count';
    count.setAttribute('aria-live', 'polite');
    box.appendChild(count);
  }}
  const used = (text || '').length;
  count.textContent = used >= {limit * COUNT_FROM} ?
    `${{used.toLocaleString('en')}} / {limit:,} characters` : '';
  count.classList.toggle('qa-count-full', used >= {limit});
  return [];
}}"""

// The console's only script of its own: "Copy" buttons copy the field they name (data-copy="ID").
// Delegated from the document, so it also works on content an enhanced form or navigation patched in.
document.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-copy]');
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  try {
    await navigator.clipboard.writeText(field.value);
    button.textContent = 'Copied';
  } catch {
    // No clipboard (plain http, or refused): select the text so Ctrl+C copies it.
    field.focus();
    field.select();
    button.textContent = 'Press Ctrl+C';
  }
});

// The console's only script of its own: "Copy" buttons copy the field they name (data-copy="ID"),
// and a form with data-validate="URL" is checked while it is typed in.
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

// Validation while typing: half a second after the last change the form (with its anti-forgery
// token) is posted to its data-validate address, which answers each field's messages and the
// split-route count; the messages stand at the fields as the server renders them after a save.
// Saving still validates on the server, so the form works the same without script.
const validationTimers = new WeakMap();
document.addEventListener('input', (event) => {
  const form = event.target.closest('form[data-validate]');
  if (!form) return;
  clearTimeout(validationTimers.get(form));
  validationTimers.set(form, setTimeout(() => validateForm(form), 500));
});

async function validateForm(form) {
  let answer;
  try {
    const response = await fetch(form.dataset.validate, { method: 'POST', body: new FormData(form), credentials: 'same-origin' });
    if (!response.ok) return;
    answer = await response.json();
  } catch {
    return; // The service is out of reach: saving will tell.
  }
  for (const field of form.querySelectorAll('[name^="Form."][id]:not([type=hidden]):not([type=checkbox])')) {
    showMessages(field, answer.fields[field.id] || []);
  }
  const count = document.getElementById('route-count');
  if (count) count.textContent = `${answer.routes} of ${answer.maximumRoutes} used.`;
}

function showMessages(field, messages) {
  const id = `${field.id}-error`;
  let list = document.getElementById(id);
  if (messages.length === 0) {
    list?.remove();
    field.removeAttribute('aria-invalid');
    field.removeAttribute('aria-describedby');
    return;
  }
  if (!list) {
    list = document.createElement('ul');
    list.className = 'field-error';
    list.id = id;
    field.closest('.field').append(list);
  }
  list.replaceChildren(...messages.map((message) => {
    const item = document.createElement('li');
    item.textContent = message;
    return item;
  }));
  field.setAttribute('aria-invalid', 'true');
  field.setAttribute('aria-describedby', id);
}

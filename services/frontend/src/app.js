// The page's behaviour: sign in, list todos, add, toggle and delete them.
// Every call goes to /api on this origin; the frontend server proxies it.
const TOKEN_KEY = 'todo-token';

const $ = (id) => document.getElementById(id);

function setStatus(text) {
  $('status').textContent = text;
}

async function api(path, { method = 'GET', body } = {}) {
  const headers = { accept: 'application/json' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`/api${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401 && path !== '/auth/token') {
    signOut('Your session ended; please sign in again.');
    throw new Error('signed out');
  }
  if (!response.ok) {
    const detail = await response.json().then((b) => b.detail, () => response.statusText);
    throw new Error(typeof detail === 'string' ? detail : `request failed (${response.status})`);
  }
  return response.status === 204 ? null : response.json();
}

function renderTodo(todo) {
  const item = document.createElement('li');
  item.dataset.id = String(todo.id);
  item.className = todo.done ? 'done' : '';
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.checked = todo.done;
  box.setAttribute('aria-label', `Done: ${todo.title}`);
  box.addEventListener('change', () => run(async () => {
    await api(`/todos/${todo.id}`, { method: 'PATCH', body: { done: box.checked } });
    await refresh();
  }));
  const title = document.createElement('span');
  title.className = 'title';
  title.textContent = todo.title;
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'delete';
  remove.textContent = '×';
  remove.setAttribute('aria-label', `Delete: ${todo.title}`);
  remove.addEventListener('click', () => run(async () => {
    await api(`/todos/${todo.id}`, { method: 'DELETE' });
    await refresh();
  }));
  item.append(box, title, remove);
  return item;
}

async function refresh() {
  const todos = await api('/todos');
  $('todo-list').replaceChildren(...todos.map(renderTodo));
}

function showSignedIn(signedIn) {
  $('login-form').hidden = signedIn;
  $('todos').hidden = !signedIn;
}

function signOut(message = '') {
  sessionStorage.removeItem(TOKEN_KEY);
  $('todo-list').replaceChildren();
  showSignedIn(false);
  setStatus(message);
}

async function run(action) {
  try {
    await action();
  } catch (error) {
    if (error.message !== 'signed out') setStatus(error.message);
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    run(async () => {
      const answer = await api('/auth/token', {
        method: 'POST',
        body: { username: $('username').value, password: $('password').value },
      });
      sessionStorage.setItem(TOKEN_KEY, answer.access_token);
      $('password').value = '';
      setStatus('');
      showSignedIn(true);
      await refresh();
    });
  });
  $('add-form').addEventListener('submit', (event) => {
    event.preventDefault();
    run(async () => {
      await api('/todos', { method: 'POST', body: { title: $('new-todo').value } });
      $('new-todo').value = '';
      setStatus('');
      await refresh();
    });
  });
  $('logout').addEventListener('click', () => signOut());
  if (sessionStorage.getItem(TOKEN_KEY)) {
    showSignedIn(true);
    run(refresh);
  }
});

// The admin console: the seed's screens over the platform API, in plain browser JavaScript.
// The credential lives in this tab's sessionStorage only (gone when the tab closes), is sent
// only in the Authorization header, and every value from the API reaches the page as text.

const SESSION_KEY = 'beeline-console';
const REFRESH_MS = 5000;
/** The API is served beside the console: `<base>/console` → `<base>/projects/…`. */
const API_BASE = location.pathname.replace(/\/console\/?$/, '');

const OUTCOMES = { answered: 'Принят', missed: 'Пропущен', internal: 'Внутренний', hidden: 'Скрытый номер', in_progress: 'Идёт' };
const DIRECTIONS = { Incoming: 'Входящий', Outgoing: 'Исходящий' };
const SUBSCRIPTION = {
  active: ['Активна', 'ok'],
  pending: ['Подключается', 'warn'],
  failed: ['Ошибка', 'bad'],
  none: ['Нет подписки', 'none'],
};
const DELIVERY_STATUS = { delivered: ['Доставлено', 'ok'], retrying: ['Повтор', 'warn'], failed: ['Не доставлено', 'bad'] };
const CALL_METHODS = { beeline_api: 'Звонки по API Beeline', none: 'Не звонит' };

let session = readSession();
let refreshTimer;

/** An element with attributes (`on…` are listeners) and children (strings become text, never HTML). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'text') element.textContent = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function readSession() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
  } catch {
    return null;
  }
}

function showMessage(text, kind = 'error') {
  const box = document.getElementById('message');
  box.textContent = text;
  box.className = kind;
  box.hidden = !text;
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** A platform API call of the signed-in project; throws ApiError with a message for people. */
async function api(method, path, body) {
  let response;
  try {
    response = await fetch(`${API_BASE}/projects/${encodeURIComponent(session.projectId)}${path}`, {
      method,
      headers: { authorization: `Bearer ${session.token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, 'Нет связи с сервером: проверьте сеть и повторите.');
  }
  const text = await response.text();
  let data;
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = {};
  }
  if (response.ok) return data;
  const reason = typeof data.error === 'string' ? data.error : `HTTP ${response.status}`;
  throw new ApiError(response.status, explain(response.status, reason));
}

function explain(status, reason) {
  if (status === 401) return 'Токен не подходит: войдите снова с токеном платформы или ключом проекта (admin).';
  if (status === 403) return 'Этот токен не даёт доступа к проекту (нужен ключ admin этого проекта).';
  if (status === 502) return `АТС недоступна или не ответила вовремя: ${reason}`;
  if (status === 422) return `АТС не приняла запрос: ${reason}`;
  if (status === 429) return 'Слишком много запросов: подождите немного.';
  if (status >= 500) return 'Сервер не смог выполнить запрос: повторите позже.';
  return reason;
}

/** Runs an action, showing its error (a 401 signs out); a background one leaves the shown message alone until it fails. */
async function attempt(action, { background = false } = {}) {
  try {
    if (!background) showMessage('');
    return await action();
  } catch (caught) {
    if (caught instanceof ApiError && caught.status === 401) signOut(caught.message);
    else showMessage(caught.message);
    return undefined;
  }
}

const formatTime = (iso) => (iso ? new Date(iso).toLocaleString('ru-RU') : '—');
const formatDuration = (from, to) => {
  if (!from || !to) return '—';
  const seconds = Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
};
const badge = ([label, kind], title) => h('span', { class: `badge ${kind}`, title }, label);

// ---- sign in ---------------------------------------------------------------------------------

function signInScreen(reason) {
  document.getElementById('nav').hidden = true;
  const form = h(
    'form',
    { id: 'sign-in', onsubmit: (event) => signIn(event, form) },
    h('h2', { text: 'Вход' }),
    h('label', {}, h('span', { text: 'Проект' }), h('input', { name: 'projectId', required: true, pattern: '[A-Za-z0-9_\\-]{1,64}', autocomplete: 'off' })),
    h('label', {}, h('span', { text: 'Токен платформы или ключ проекта (admin)' }), h('input', { name: 'token', type: 'password', required: true, autocomplete: 'off' })),
    h('button', { class: 'primary', type: 'submit' }, 'Войти'),
  );
  render(form);
  if (reason) showMessage(reason);
}

async function signIn(event, form) {
  event.preventDefault();
  const data = new FormData(form);
  session = { projectId: String(data.get('projectId')).trim(), token: String(data.get('token')).trim() };
  try {
    showMessage('');
    await api('GET', '/beeline');
  } catch (caught) {
    session = null;
    showMessage(caught.message);
    return;
  }
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  show('telephony');
}

function signOut(reason) {
  sessionStorage.removeItem(SESSION_KEY);
  session = null;
  clearInterval(refreshTimer);
  signInScreen(reason);
}

// ---- screens ---------------------------------------------------------------------------------

const SCREENS = { telephony: telephonyScreen, employees: employeesScreen, calls: callsScreen, delivery: deliveryScreen, stats: statsScreen };

function render(...nodes) {
  document.getElementById('screen').replaceChildren(...nodes);
}

async function show(name) {
  clearInterval(refreshTimer);
  document.getElementById('nav').hidden = false;
  for (const button of document.querySelectorAll('nav [data-screen]')) {
    if (button.dataset.screen === name) button.setAttribute('aria-current', 'page');
    else button.removeAttribute('aria-current');
  }
  showMessage('');
  await SCREENS[name]();
}

async function telephonyScreen() {
  const state = await attempt(() => api('GET', '/beeline'));
  if (!state) return;
  const form = h(
    'form',
    { id: 'pbx-token', onsubmit: (event) => saveToken(event, form) },
    h('h2', { text: 'Телефония' }),
    h('p', { id: 'connection' }, state.connected ? `Подключено: токен ${state.tokenHint}` : 'АТС не подключена'),
    h('label', {}, h('span', { text: 'API токен Билайн АТС' }), h('input', { name: 'apiToken', type: 'password', required: true, autocomplete: 'off' })),
    h('button', { class: 'primary', type: 'submit' }, 'Сохранить настройки'),
    state.connected && h('button', { class: 'secondary', type: 'button', onclick: disconnect }, 'Отключить'),
  );
  const abonents = h('section', { id: 'abonents' });
  render(form, abonents);
  if (state.connected) await showAbonents(abonents);
}

async function saveToken(event, form) {
  event.preventDefault();
  const apiToken = String(new FormData(form).get('apiToken')).trim();
  const saved = await attempt(() => api('PUT', '/beeline', { apiToken }));
  if (!saved) return;
  await telephonyScreen();
  showMessage('Настройки сохранены: АТС подключена.', 'info');
}

async function disconnect() {
  if (!confirm('Отключить АТС? Подписки сотрудников будут удалены.')) return;
  if ((await attempt(() => api('DELETE', '/beeline'))) !== undefined) await telephonyScreen();
}

async function showAbonents(section) {
  const result = await attempt(() => api('GET', '/beeline/abonents'));
  if (!result) return;
  section.replaceChildren(
    h('h2', { text: 'Абоненты АТС' }),
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Номер', 'Добавочный', 'Имя', 'Фамилия', 'Идентификатор'].map((t) => h('th', { text: t })),
        ),
      ),
      h(
        'tbody',
        {},
        result.abonents.map((a) =>
          h(
            'tr',
            {},
            [a.phone, a.extension, a.firstName, a.lastName, a.userId].map((v) => h('td', { text: v ?? '—' })),
          ),
        ),
      ),
    ),
  );
}

async function employeesScreen() {
  const list = h('section', { id: 'employees' });
  render(h('h2', { text: 'Сотрудники' }), h('p', {}, h('button', { class: 'primary', type: 'button', onclick: () => editEmployee(undefined, list) }, 'Добавить сотрудника')), list);
  await refreshEmployees(list);
  refreshTimer = setInterval(() => refreshEmployees(list, { background: true }), REFRESH_MS);
}

async function refreshEmployees(section, { background = false } = {}) {
  const result = await attempt(() => api('GET', '/employees'), { background });
  if (!result) return;
  const rows = result.employees.map((employee) => {
    const sub = employee.subscription ?? { status: 'none' };
    return h(
      'tr',
      { 'data-employee': employee.employeeId },
      h('td', { text: employee.name ?? employee.employeeId }),
      h('td', { text: CALL_METHODS[employee.callMethod] ?? employee.callMethod }),
      h('td', { text: employee.beelineNumber ?? '—' }),
      h('td', { class: 'status' }, badge(SUBSCRIPTION[sub.status] ?? [sub.status, 'none'], sub.subscriptionId)),
      h('td', { text: formatTime(sub.expiresAt) }),
      h('td', { text: formatTime(sub.lastEventAt) }),
      h('td', { class: 'error', text: sub.lastError ?? '' }),
      h('td', {}, h('button', { class: 'secondary', type: 'button', onclick: () => editEmployee(employee, section) }, 'Изменить')),
    );
  });
  section.replaceChildren(
    rows.length === 0
      ? h('p', { class: 'muted', text: 'Сотрудников пока нет.' })
      : h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Сотрудник', 'Способ звонков', 'Номер', 'Подписка', 'Действует до', 'Последнее событие', 'Ошибка', ''].map((t) => h('th', { text: t })),
            ),
          ),
          h('tbody', {}, rows),
        ),
  );
}

function editEmployee(employee, list) {
  const error = h('p', { class: 'error', role: 'alert' });
  const number = h('input', { name: 'beelineNumber', value: employee?.beelineNumber ?? '', placeholder: '9001234567 или добавочный SIP', autocomplete: 'off' });
  const method = h(
    'select',
    { name: 'callMethod' },
    Object.entries(CALL_METHODS).map(([value, label]) => h('option', { value, selected: (employee?.callMethod ?? 'beeline_api') === value }, label)),
  );
  const dialog = h(
    'dialog',
    { id: 'employee-dialog' },
    h(
      'form',
      { method: 'dialog', onsubmit: (event) => saveEmployee(event, dialog, employee, list, error) },
      h('h2', { text: employee ? 'Сотрудник' : 'Новый сотрудник' }),
      !employee && h('label', {}, h('span', { text: 'Идентификатор' }), h('input', { name: 'employeeId', required: true, pattern: '[A-Za-z0-9_\\-]{1,64}', autocomplete: 'off' })),
      h('label', {}, h('span', { text: 'Имя' }), h('input', { name: 'name', value: employee?.name ?? '', autocomplete: 'off' })),
      h('label', {}, h('span', { text: 'Способ звонков' }), method),
      h('label', {}, h('span', { text: 'Номер в АТС' }), number),
      error,
      h('button', { class: 'primary', type: 'submit' }, 'Готово'),
      h('button', { class: 'secondary', type: 'button', onclick: () => dialog.close() }, 'Отмена'),
      employee && h('button', { class: 'danger', type: 'button', onclick: () => deleteEmployee(dialog, employee, list) }, 'Удалить сотрудника'),
    ),
  );
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

async function deleteEmployee(dialog, employee, list) {
  if (!confirm(`Удалить сотрудника ${employee.name ?? employee.employeeId}? Его подписка в АТС будет снята.`)) return;
  dialog.close();
  if ((await attempt(() => api('DELETE', `/employees/${encodeURIComponent(employee.employeeId)}`))) === undefined) return;
  await refreshEmployees(list);
  showMessage('Сотрудник удалён.', 'info');
}

async function saveEmployee(event, dialog, employee, list, error) {
  event.preventDefault();
  const data = new FormData(event.target);
  const employeeId = employee?.employeeId ?? String(data.get('employeeId')).trim();
  const callMethod = String(data.get('callMethod'));
  const beelineNumber = String(data.get('beelineNumber')).trim();
  const body = { name: String(data.get('name')).trim() || undefined, callMethod, ...(beelineNumber && { beelineNumber }) };
  try {
    await api('PUT', `/employees/${encodeURIComponent(employeeId)}`, body);
  } catch (caught) {
    if (caught instanceof ApiError && caught.status === 401) {
      dialog.close();
      signOut(caught.message);
    }
    error.textContent = caught.status === 422 && /abonent/i.test(caught.message) ? `Номер не найден среди абонентов АТС. ${caught.message}` : caught.message;
    return;
  }
  dialog.close();
  await refreshEmployees(list);
}

async function callsScreen() {
  const filters = {
    outcome: h(
      'select',
      { name: 'outcome' },
      h('option', { value: '' }, 'Все исходы'),
      Object.entries(OUTCOMES).map(([v, l]) => h('option', { value: v }, l)),
    ),
    direction: h(
      'select',
      { name: 'direction' },
      h('option', { value: '' }, 'Все направления'),
      Object.entries(DIRECTIONS).map(([v, l]) => h('option', { value: v }, l)),
    ),
    client: h('input', { name: 'client', placeholder: 'Номер клиента' }),
    operator: h('input', { name: 'operator', placeholder: 'Номер сотрудника' }),
  };
  const table = h('section', { id: 'calls' });
  let calls = [];
  let next;
  const draw = () => {
    const digits = (value) => value.replace(/\D/g, '');
    const shown = calls.filter(
      (call) =>
        (!filters.outcome.value || call.outcome === filters.outcome.value) &&
        (!filters.direction.value || call.direction === filters.direction.value) &&
        (!digits(filters.client.value) || (call.clientPhone ?? '').includes(digits(filters.client.value))) &&
        (!digits(filters.operator.value) || (call.operatorPhone ?? '').includes(digits(filters.operator.value))),
    );
    table.replaceChildren(
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Начало', 'Направление', 'Исход', 'Клиент', 'Сотрудник', 'Длительность', 'Запись', ''].map((t) => h('th', { text: t })),
          ),
        ),
        h('tbody', {}, shown.flatMap(callRow)),
      ),
      next ? h('button', { class: 'secondary', type: 'button', onclick: loadMore }, 'Показать ещё') : '',
    );
  };
  const loadMore = async () => {
    const page = await attempt(() => api('GET', `/calls?limit=100${next ? `&cursor=${encodeURIComponent(next)}` : ''}`));
    if (!page) return;
    calls = calls.concat(page.calls);
    next = page.next;
    draw();
  };
  for (const control of Object.values(filters)) control.addEventListener('input', draw);
  render(
    h('h2', { text: 'Журнал звонков' }),
    h(
      'div',
      { class: 'filters' },
      Object.values(filters),
      h(
        'button',
        {
          class: 'secondary',
          type: 'button',
          onclick: () => {
            calls = [];
            next = undefined;
            loadMore();
          },
        },
        'Обновить',
      ),
    ),
    table,
  );
  await loadMore();
}

function callRow(call) {
  const details = h('tr', { hidden: true }, h('td', { colspan: 8 }));
  const row = h(
    'tr',
    { 'data-call': call.extTrackingId },
    h('td', { text: formatTime(call.startedAt) }),
    h('td', { text: DIRECTIONS[call.direction] ?? call.direction }),
    h('td', { class: 'outcome', text: OUTCOMES[call.outcome] ?? call.outcome }),
    h('td', { text: call.clientPhone ?? '—' }),
    h('td', { class: 'operator', text: call.operatorPhone ?? '—' }),
    h('td', { text: formatDuration(call.startedAt, call.endedAt) }),
    h('td', {}, call.recordLink ? h('audio', { controls: true, preload: 'none', src: call.recordLink }) : '—'),
    h('td', {}, h('button', { class: 'secondary', type: 'button', onclick: () => toggleLegs(call, details) }, 'Плечи')),
  );
  return [row, details];
}

async function toggleLegs(call, details) {
  details.hidden = !details.hidden;
  if (details.hidden) return;
  const found = await attempt(() => api('GET', `/calls/${encodeURIComponent(call.extTrackingId)}`));
  if (!found) return;
  const times = found.legs
    .flatMap((leg) => [leg.startedAt, leg.endedAt])
    .filter(Boolean)
    .map(Date.parse);
  const from = Math.min(...times);
  const span = Math.max(1, Math.max(...times) - from);
  const at = (iso) => `${((Date.parse(iso) - from) / span) * 100}%`;
  const rows = found.legs.map((leg) => {
    const bar = h('div', { class: 'timeline', title: `${formatTime(leg.startedAt)} — ${formatTime(leg.endedAt)}` });
    if (leg.startedAt) {
      const ring = h('div', { class: 'ring' });
      ring.style.left = at(leg.startedAt);
      ring.style.right = `calc(100% - ${leg.endedAt ? at(leg.endedAt) : '100%'})`;
      bar.append(ring);
    }
    if (leg.answeredAt) {
      const talk = h('div', { class: 'talk' });
      talk.style.left = at(leg.answeredAt);
      talk.style.right = `calc(100% - ${leg.endedAt ? at(leg.endedAt) : '100%'})`;
      bar.append(talk);
    }
    return h('tr', {}, h('td', { text: leg.operatorPhone ?? '—' }), h('td', { text: leg.answeredAt ? 'ответил' : 'не ответил' }), h('td', {}, bar));
  });
  details.firstChild.replaceChildren(h('table', {}, h('tbody', {}, rows)));
}

async function deliveryScreen() {
  const state = await attempt(() => api('GET', '/delivery'));
  if (!state) return;

  const form = h(
    'form',
    { id: 'delivery', onsubmit: (event) => saveDelivery(event, form, false) },
    h('h2', { text: 'Доставка событий' }),
    h('p', { class: 'muted', text: state.url ? `Адрес: ${state.url}. Секрет: ${state.secretHint ?? '—'}` : 'Адрес получателя не задан.' }),
    h('label', {}, h('span', { text: 'Адрес получателя (https)' }), h('input', { name: 'url', type: 'url', required: true, value: state.url ?? '' })),
    h('button', { class: 'primary', type: 'submit' }, 'Сохранить'),
    state.url && h('button', { class: 'secondary', type: 'button', onclick: () => saveDelivery(undefined, form, true) }, 'Новый секрет'),
    state.url && h('button', { class: 'secondary', type: 'button', onclick: stopDelivery }, 'Отключить доставку'),
    h('div', { id: 'secret' }),
  );
  const recent = state.recent ?? [];
  render(
    form,
    h(
      'section',
      { id: 'deliveries' },
      h('h2', { text: 'Последние доставки' }),
      recent.length === 0
        ? h('p', { class: 'muted', text: 'Доставок пока нет.' })
        : h(
            'table',
            {},
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Время', 'Событие', 'Статус', 'Попыток', 'Ошибка'].map((t) => h('th', { text: t })),
              ),
            ),
            h(
              'tbody',
              {},
              recent.map((r) =>
                h(
                  'tr',
                  {},
                  h('td', { text: formatTime(r.at) }),
                  h('td', { text: r.type }),
                  h('td', {}, badge(DELIVERY_STATUS[r.status] ?? [r.status, 'none'], r.eventId)),
                  h('td', { text: r.attempts }),
                  h('td', { class: 'error', text: r.lastError ?? '' }),
                ),
              ),
            ),
          ),
    ),
  );
}

async function saveDelivery(event, form, rotateSecret) {
  event?.preventDefault();
  const url = String(new FormData(form).get('url')).trim();
  const saved = await attempt(() => api('PUT', '/delivery', { url, ...(rotateSecret && { rotateSecret: true }) }));
  if (!saved) return;
  await deliveryScreen();
  if (saved.secret) {
    document.getElementById('secret').replaceChildren(h('p', { text: 'Секрет подписи: сохраните его сейчас, он показан один раз.' }), h('p', { class: 'secret', text: saved.secret }));
  }
}

async function stopDelivery() {
  if (!confirm('Отключить доставку событий?')) return;
  if ((await attempt(() => api('DELETE', '/delivery'))) !== undefined) await deliveryScreen();
}

/** Answered and missed calls per employee over the last days, from the call log (at most 20 pages). */
async function statsScreen() {
  const period = h('select', { name: 'days' }, h('option', { value: '7' }, 'За 7 дней'), h('option', { value: '30' }, 'За 30 дней'));
  const chart = h('section', { id: 'chart' });
  const draw = async () => {
    const since = Date.now() - Number(period.value) * 86_400_000;
    const counts = new Map();
    let cursor;
    for (let page = 0; page < 20; page++) {
      const result = await attempt(() => api('GET', `/calls?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`));
      if (!result) return;
      const recent = result.calls.filter((call) => Date.parse(call.startedAt) >= since);
      for (const call of recent) {
        if (call.outcome !== 'answered' && call.outcome !== 'missed') continue;
        const key = call.operatorPhone ?? '—';
        const count = counts.get(key) ?? { answered: 0, missed: 0 };
        count[call.outcome] += 1;
        counts.set(key, count);
      }
      cursor = result.next;
      if (!cursor || recent.length < result.calls.length) break;
    }
    const names = new Map(((await attempt(() => api('GET', '/employees'))) ?? { employees: [] }).employees.map((e) => [e.beelineNumber, e.name ?? e.employeeId]));
    const most = Math.max(1, ...[...counts.values()].map((c) => c.answered + c.missed));
    const rows = [...counts.entries()].map(([operator, count]) => {
      const answered = h('div', { class: 'answered', title: `принято ${count.answered}` });
      answered.style.width = `${(count.answered / most) * 100}%`;
      const missed = h('div', { class: 'missed', title: `пропущено ${count.missed}` });
      missed.style.width = `${(count.missed / most) * 100}%`;
      return h(
        'div',
        { class: 'chart-row', 'data-operator': operator },
        h('span', { text: names.has(operator) ? `${names.get(operator)} (${operator})` : operator }),
        h('div', { class: 'bar' }, answered, missed),
        h('span', { text: `${count.answered} / ${count.missed}` }),
      );
    });
    chart.replaceChildren(
      h('p', { class: 'muted', text: 'Принятые (зелёным) и пропущенные (красным) звонки по сотрудникам.' }),
      ...(rows.length ? rows : [h('p', { class: 'muted', text: 'Звонков за этот период нет.' })]),
    );
  };
  period.addEventListener('change', draw);
  render(h('h2', { text: 'Статистика' }), h('div', { class: 'filters' }, period), chart);
  await draw();
}

// ---- start -----------------------------------------------------------------------------------

document.getElementById('nav').addEventListener('click', (event) => {
  const target = event.target.closest('button');
  if (!target) return;
  if (target.id === 'sign-out') signOut();
  else if (target.dataset.screen) show(target.dataset.screen);
});

if (session) show('telephony');
else signInScreen();

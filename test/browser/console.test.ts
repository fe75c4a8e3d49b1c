/**
 * The admin console in a real headless Chromium (Debian's, driven by playwright-core) on the
 * local stack: the seed's flow end to end. Sign in, save the PBX token (a refused one first),
 * add an employee with a pasted number, see the subscription turn active, play a call in the
 * simulator and find it in the call log with its operator and outcome, terminate the
 * subscription in the simulator and see the status recover. No console error, no CSP
 * violation on the way. `UPDATE_SCREENSHOTS=1` also writes the screens into docs/.
 */
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, eventually, startTestStack, type TestStack } from '../support/harness';

/** What the test reads of an <audio> element (this project's TypeScript has no DOM types). */
interface MediaElement {
  readonly duration: number;
  readonly error: { code: number } | null;
  load(): void;
  addEventListener(type: 'loadedmetadata' | 'error', listener: () => void, options: { once: boolean }): void;
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';

let stack: TestStack;
let browser: Browser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
  // Recordings are looked up a second after the call, so the player has something to play.
  stack = await startTestStack({ recordFirstDelaySeconds: 1, recordGiveUpSeconds: 20 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // This machine's network is closed: no background connections, no first-run work.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'ru-RU' });
  page.on('console', (message) => {
    // The refusals this test provokes (a wrong token, a refused PBX token, a number no abonent has) are the only failed loads allowed.
    if (message.type() === 'error' && !/status of (401|422) /.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const sim = () => stack.simulator!.url.replace(/\/$/, '');
const shoot = async (name: string) => {
  if (SCREENSHOTS) await page.screenshot({ path: `docs/console-${name}.png`, fullPage: true });
};
const nav = (label: string) => page.locator('nav').getByRole('button', { name: label, exact: true });
const employeeRow = (id: string) => page.locator(`tr[data-employee="${id}"]`);

describe('the admin console in a browser', () => {
  const projectId = `p-${randomUUID().slice(0, 8)}`;

  it('runs the seed: token, employee, active subscription, a call in the log, recovery after a termination', { timeout: 180_000 }, async () => {
    const response = await page.goto(`${stack.apiUrl}/console`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");

    // A wrong token: a clear message, still on the sign-in form.
    await page.getByLabel('Проект', { exact: true }).fill(projectId);
    await page.getByLabel('Токен платформы или ключ проекта (admin)', { exact: true }).fill('not-a-token');
    await page.getByRole('button', { name: 'Войти' }).click();
    await expect.poll(() => page.locator('#message').textContent()).toContain('Токен не подходит');
    await shoot('sign-in');

    await page.getByLabel('Токен платформы или ключ проекта (admin)', { exact: true }).fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Войти' }).click();
    await expect.poll(() => page.locator('#connection').textContent()).toBe('АТС не подключена');
    // The token is in this tab's session only, never in the URL or in localStorage.
    expect(page.url()).not.toContain(ADMIN_TOKEN);
    expect(await page.evaluate('JSON.stringify(localStorage)')).toBe('{}');

    // «Телефония»: the PBX refuses a token, then takes the right one and lists its abonents.
    await page.getByLabel('API токен Билайн АТС', { exact: true }).fill('wrong-pbx-token');
    await page.getByRole('button', { name: 'Сохранить настройки' }).click();
    await expect.poll(() => page.locator('#message').textContent()).toContain('АТС не приняла запрос');
    await page.getByLabel('API токен Билайн АТС', { exact: true }).fill('sim-token');
    await page.getByRole('button', { name: 'Сохранить настройки' }).click();
    await expect.poll(() => page.locator('#connection').textContent()).toBe('Подключено: токен …oken');
    await expect.poll(() => page.locator('#abonents td').allTextContents()).toContain('9000000001');
    await shoot('telephony');

    // «Сотрудники»: a number that is no abonent is refused in the dialog; the pasted one is taken.
    await nav('Сотрудники').click();
    await page.getByRole('button', { name: 'Добавить сотрудника' }).click();
    const dialog = page.locator('#employee-dialog');
    await dialog.getByLabel('Идентификатор', { exact: true }).fill('anna');
    await dialog.getByLabel('Имя', { exact: true }).fill('Анна');
    // The seed's choice, «Звонки по API Beeline», is the one offered first.
    await expect(dialog.locator('select[name="callMethod"] option:checked').textContent()).resolves.toBe('Звонки по API Beeline');
    await dialog.getByLabel('Номер в АТС', { exact: true }).fill('900 999-99-99');
    await dialog.getByRole('button', { name: 'Готово' }).click();
    await expect.poll(() => dialog.locator('.error').textContent()).toMatch(/\S/);
    await dialog.getByLabel('Номер в АТС', { exact: true }).fill('+7 (900) 000-00-01');
    await dialog.getByRole('button', { name: 'Готово' }).click();
    await expect.poll(() => page.locator('#employee-dialog').count()).toBe(0);
    await expect.poll(() => employeeRow('anna').locator('td').nth(2).textContent()).toBe('9000000001');
    await expect.poll(() => employeeRow('anna').locator('.status').textContent(), { timeout: 30_000 }).toBe('Активна');
    await shoot('employees');
    const firstSubscription = await employeeRow('anna').locator('.status .badge').getAttribute('title');
    expect(firstSubscription).toMatch(/\S/);

    // A call played in the simulator shows in «Журнал звонков» with its operator and outcome.
    const played = await fetch(`${sim()}/_sim/calls`, {
      method: 'POST',
      body: JSON.stringify({ token: 'sim-token', direction: 'incoming', client: '8 (916) 123-45-67', legs: [{ abonent: '9000000001', answer: true, talkMs: 500 }] }),
    });
    expect(played.status).toBe(200);
    await nav('Журнал звонков').click();
    await eventually(
      async () => {
        await page.getByRole('button', { name: 'Обновить' }).click();
        await page.waitForTimeout(300);
        const outcomes = await page.locator('#calls tr[data-call] .outcome').allTextContents();
        return outcomes.includes('Принят') ? true : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const callRow = page.locator('#calls tr[data-call]').first();
    await expect(callRow.locator('.operator').textContent()).resolves.toBe('9000000001');
    await expect(callRow.locator('td').nth(3).textContent()).resolves.toBe('79161234567');
    await page.locator('.filters select[name="outcome"]').selectOption('missed');
    await expect.poll(() => page.locator('#calls tr[data-call]').count()).toBe(0);
    await page.locator('.filters select[name="outcome"]').selectOption('');
    await callRow.getByRole('button', { name: 'Плечи' }).click();
    await expect.poll(() => page.locator('.timeline .talk').count()).toBeGreaterThan(0);

    // The recording plays through the stable link (the API redirects it to the PBX's file).
    const player = await eventually(
      async () => {
        await page.getByRole('button', { name: 'Обновить' }).click();
        await page.waitForTimeout(300);
        const audio = page.locator('#calls tr[data-call] audio').first();
        return (await audio.count()) > 0 ? audio : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(await player.getAttribute('src')).toMatch(new RegExp(`/records/${projectId}/`));
    const loaded = await player.evaluate(
      (audio: MediaElement) =>
        new Promise<string>((resolve) => {
          audio.addEventListener('loadedmetadata', () => resolve(`duration ${audio.duration > 0}`), { once: true });
          audio.addEventListener('error', () => resolve(`error ${audio.error?.code}`), { once: true });
          audio.load();
        }),
    );
    expect(loaded).toBe('duration true');
    await page.locator('#calls tr[data-call]').first().getByRole('button', { name: 'Плечи' }).click();
    await expect.poll(() => page.locator('.timeline .talk').count()).toBeGreaterThan(0);
    await shoot('calls');

    // The PBX ends the subscription: the console shows it recovering, with a new subscription.
    const subscriptions = (await (await fetch(`${sim()}/_sim/subscriptions`)).json()) as { subscriptionId: string }[];
    const live = subscriptions.find((s) => s.subscriptionId === firstSubscription);
    expect(live, 'the console shows the subscription the simulator holds').toBeDefined();
    expect((await fetch(`${sim()}/_sim/subscriptions/${firstSubscription}/terminate`, { method: 'POST' })).status).toBe(200);
    await nav('Сотрудники').click();
    await expect
      .poll(async () => `${await employeeRow('anna').locator('.status').textContent()} ${(await employeeRow('anna').locator('.status .badge').getAttribute('title')) !== firstSubscription}`, {
        timeout: 30_000,
      })
      .toBe('Активна true');

    // The other screens render from the API.
    await nav('Доставка событий').click();
    await expect.poll(() => page.locator('#delivery').textContent()).toContain('Адрес получателя не задан.');
    await shoot('delivery');
    await nav('Статистика').click();
    await expect.poll(() => page.locator('#chart .chart-row[data-operator="9000000001"]').textContent()).toContain('Анна (9000000001)1 / 0');
    await shoot('stats');

    expect(problems).toEqual([]);
  });

  it('edits and deletes an employee (its subscription is removed at the PBX) and disconnects the PBX', { timeout: 60_000 }, async () => {
    await nav('Сотрудники').click();
    await employeeRow('anna').getByRole('button', { name: 'Изменить' }).click();
    const dialog = page.locator('#employee-dialog');
    await expect(dialog.getByLabel('Номер в АТС', { exact: true }).inputValue()).resolves.toBe('9000000001');
    await shoot('employee-dialog');

    // Renamed: the list shows the new name, the subscription stays.
    await dialog.getByLabel('Имя', { exact: true }).fill('Анна Петрова');
    await dialog.getByRole('button', { name: 'Готово' }).click();
    await expect.poll(() => employeeRow('anna').locator('td').first().textContent()).toBe('Анна Петрова');
    const subscriptionId = await employeeRow('anna').locator('.status .badge').getAttribute('title');

    // Deleted after a confirmation: gone from the list, and the PBX no longer holds its subscription.
    await employeeRow('anna').getByRole('button', { name: 'Изменить' }).click();
    page.once('dialog', (confirmation) => confirmation.accept());
    await page.locator('#employee-dialog').getByRole('button', { name: 'Удалить сотрудника' }).click();
    await expect.poll(() => page.locator('#message').textContent()).toBe('Сотрудник удалён.');
    await expect.poll(() => employeeRow('anna').count()).toBe(0);
    expect((await stack.api('GET', `/projects/${projectId}/employees/anna`)).status).toBe(404);
    await expect
      .poll(async () => ((await (await fetch(`${sim()}/_sim/subscriptions`)).json()) as { subscriptionId: string }[]).some((s) => s.subscriptionId === subscriptionId), { timeout: 20_000 })
      .toBe(false);

    // Disconnected after a confirmation: the form offers the token again.
    await nav('Телефония').click();
    await expect.poll(() => page.locator('#connection').textContent()).toBe('Подключено: токен …oken');
    page.once('dialog', (confirmation) => confirmation.accept());
    await page.getByRole('button', { name: 'Отключить' }).click();
    await expect.poll(() => page.locator('#connection').textContent()).toBe('АТС не подключена');
    expect((await stack.api('GET', `/projects/${projectId}/beeline`)).body).toMatchObject({ connected: false });

    expect(problems).toEqual([]);
  });
});

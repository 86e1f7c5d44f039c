import type { Page } from '@playwright/test';

declare global {
  interface Window {
    __longTasks: { name: string; startTime: number; duration: number }[];
  }
}

/** Records every main-thread long task (> 50 ms) from the first script on, with a PerformanceObserver. */
export async function observeLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longTasks.push({ name: entry.name, startTime: entry.startTime, duration: entry.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
}

/** The longest main-thread task seen so far, in ms (0 when none exceeded 50 ms). */
export async function longestTask(page: Page): Promise<{ max: number; tasks: Window['__longTasks'] }> {
  const tasks = await page.evaluate(() => window.__longTasks);
  return { max: tasks.reduce((m, t) => Math.max(m, t.duration), 0), tasks };
}

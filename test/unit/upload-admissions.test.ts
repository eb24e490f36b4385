// One node's upload admissions (server/files/quota.ts, localAdmissions): a user's admissions run one
// at a time, other users' never wait for them, a user's waiting admissions are bounded, and a form's
// room is given back once, however often its release is called.
import { expect, it } from 'vitest';
import { MAX_ADMISSIONS_WAITING, localAdmissions } from '../../server/files/quota.js';

it("runs one user's admissions one at a time and never holds another user's behind them", async () => {
  const admissions = localAdmissions();
  const order: string[] = [];
  // Ada's first finishes only after Bob's ran: Bob's must not wait for it.
  let bobRan!: () => void;
  const bob = new Promise<void>((resolve) => (bobRan = resolve));
  const slow = admissions.exclusive('ada', async () => {
    await bob;
    order.push('ada 1');
  });
  const second = admissions.exclusive('ada', async () => {
    order.push('ada 2');
  });
  const other = admissions.exclusive('bob', async () => {
    order.push('bob');
    bobRan();
  });
  await Promise.all([slow, second, other]);
  expect(order).toEqual(['bob', 'ada 1', 'ada 2']);
});

it("refuses a user's admission at once past the bound of those waiting, and takes them again as they finish", async () => {
  const admissions = localAdmissions();
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const ran: number[] = [];
  const queued = Array.from({ length: MAX_ADMISSIONS_WAITING }, (_, i) =>
    admissions.exclusive('ada', async () => {
      if (i === 0) await gate;
      ran.push(i);
    }),
  );
  await expect(admissions.exclusive('ada', async () => ran.push(-1))).rejects.toMatchObject({ code: 'rate_limited' });
  // Another user's are not counted with hers.
  await admissions.exclusive('bob', async () => {});
  open();
  await Promise.all(queued);
  expect(ran).toEqual(Array.from({ length: MAX_ADMISSIONS_WAITING }, (_, i) => i));
  await admissions.exclusive('ada', async () => ran.push(MAX_ADMISSIONS_WAITING));
  expect(ran).toHaveLength(MAX_ADMISSIONS_WAITING + 1);
});

it('counts each form until its release, once, whatever the number of calls', async () => {
  const admissions = localAdmissions();
  const first = await admissions.hold('ada', 700);
  const second = await admissions.hold('ada', 300);
  expect(await admissions.receiving('ada')).toEqual({ uploads: 2, bytes: 1000 });
  first();
  first();
  expect(await admissions.receiving('ada')).toEqual({ uploads: 1, bytes: 300 });
  second();
  expect(await admissions.receiving('ada')).toEqual({ uploads: 0, bytes: 0 });
  expect(await admissions.receiving('bob')).toEqual({ uploads: 0, bytes: 0 });
});

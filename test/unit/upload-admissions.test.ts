// One node's upload admissions (server/files/quota.ts, localAdmissions): a user's admissions run one
// at a time, other users' never wait for them, and a form's room is given back once, however often
// its release is called.
import { expect, it } from 'vitest';
import { localAdmissions } from '../../server/files/quota.js';

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

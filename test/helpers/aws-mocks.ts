import type { AwsStub } from 'aws-sdk-client-mock';

/** Each call a mocked client received, in order, as [command name, input]. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the stubs of different clients share no input type
export function sent(stub: AwsStub<any, any, any>): [string, unknown][] {
  return stub.calls().map((c) => [c.args[0].constructor.name, c.args[0].input]);
}

/** The names of the commands a mocked client received, in order. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
export function sentNames(stub: AwsStub<any, any, any>): string[] {
  return sent(stub).map(([name]) => name);
}

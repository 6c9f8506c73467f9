// Root hooks: keep the log quiet unless TEST_LOGS=1, so test output stays readable.
import { setLogSink } from '../../src/core/log';

if (!process.env.TEST_LOGS) setLogSink(() => undefined);

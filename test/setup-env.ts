// Tests never reach AWS: fixed region and fake credentials, quiet Powertools.
process.env.AWS_REGION = 'eu-west-1';
process.env.AWS_ACCESS_KEY_ID = 'AKIDTEST';
process.env.AWS_SECRET_ACCESS_KEY = 'secret';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.SLS_TELEMETRY_DISABLED = '1';
process.env.POWERTOOLS_SERVICE_NAME = 'ecs-autopilot';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'EcsAutopilot';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_TRACE_ENABLED = 'false';
process.env.POWERTOOLS_LOG_LEVEL = process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT';
// Any AWS call a test forgot to fake fails fast on loopback instead of leaving the machine.
process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
process.env.AWS_MAX_ATTEMPTS = '2';

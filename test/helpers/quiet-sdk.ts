// The SDK's Node 20 deprecation notice concerns its releases after January 2027 (README); it is not a test result.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const f = (x) => (x/1048576).toFixed(1);
const libs = process.argv.slice(2);
for (const l of libs) await import(l);
setTimeout(() => { const m = process.memoryUsage(); console.log(`${libs.join('+')||'bare'} rss=${f(m.rss)} heapUsed=${f(m.heapUsed)} heapTotal=${f(m.heapTotal)} external=${f(m.external)}`); }, 5000);

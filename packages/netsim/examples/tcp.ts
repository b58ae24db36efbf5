import { Ipv4Address } from '@switchyard/wire';
import { Duration, Simulator, TcpStack } from '../src/index.js';

/** A TCP client sends 200 KB to a server over a cable that loses 10 % of frames each way. */
export function tcpExample(seed = 7) {
  const sim = new Simulator({ seed });
  const sw = sim.createSwitch({ ports: 2 });
  const lossy = { loss: 0.1, delayNs: Duration.ms(1) };
  const clientLink = sim.attach(sw.port(0), { mac: 0x02_00_00_00_00_01, conditions: lossy });
  const serverLink = sim.attach(sw.port(1), { mac: 0x02_00_00_00_00_02 });
  const serverIp = Ipv4Address.parse('10.0.0.2');
  const client = new TcpStack({
    mac: clientLink.mac,
    ip: Ipv4Address.parse('10.0.0.1'),
    random: sim.random.fork(),
  });
  const server = new TcpStack({ mac: serverLink.mac, ip: serverIp, random: sim.random.fork() });
  sim.host(clientLink, client);
  sim.host(serverLink, server);

  let received = 0;
  server.listen(80, () => ({
    onData: (_conn, bytes) => {
      received += bytes.length; // bytes are only valid during the call
    },
    onEnd: (conn) => conn.close(),
  }));
  const conn = client.connect(serverIp, 80);
  conn.write(new Uint8Array(200 * 1024));
  conn.close();
  sim.runUntilIdle(); // every byte arrives in order, whatever the cable lost

  return { received, state: conn.state, lost: clientLink.cable!.stats.lost, seconds: sim.now / 1e9 };
}

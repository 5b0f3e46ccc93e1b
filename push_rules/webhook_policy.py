"""Which webhook URLs are allowed, and the one address a webhook is sent to.

A URL is allowed when it is http(s) without user info, its host is not an IP written in a non-standard form
(``127.1``, ``0x7f000001``, ``2130706433``), the host resolves, and every address it resolves to is global
(``ipaddress`` ``is_global``: no loopback, private, carrier-grade NAT such as 100.64.0.0/10, link-local,
documentation or reserved range, also not when embedded in an IPv6 address). With an allow-list, the host must
also be on it (by name, ``*.suffix``, or all its addresses inside listed IPs/CIDRs), and listed IPs/CIDRs are
the only way to allow a non-global address.

The host is resolved once, in :meth:`WebhookUrlPolicy.resolve`; the sender connects to those checked addresses
(no second lookup that a DNS rebinding attack could answer differently).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class WebhookRefused(Exception):
    """A webhook URL the policy does not allow; ``reason`` says why, in Chinese."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WebhookTarget:
    """A checked webhook URL and the addresses its host resolved to (connect only to these)."""

    url: httpx.URL
    host: str
    port: int
    addresses: tuple[str, ...]


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64), which is where packets really go."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _is_global(ip: IPAddress) -> bool:
    embedded = _embedded_ipv4(ip)
    return ip.is_global and (embedded is None or embedded.is_global)


class WebhookUrlPolicy:
    """Check webhook URLs against ``allowlist`` (host names, ``*.suffix`` patterns, IPs, CIDR ranges).

    >>> WebhookUrlPolicy(["127.0.0.1"]).check("http://127.0.0.1:9000/hook") is None
    True
    >>> WebhookUrlPolicy([]).check("http://100.100.100.200/latest/meta-data")
    'Webhook 主机“100.100.100.200”（100.100.100.200）是内网或保留地址，不允许（可在 webhook_allowlist 中放行）'
    """

    def __init__(self, allowlist: list[str]) -> None:
        self.allowlist = [entry.strip().lower() for entry in allowlist if entry.strip()]
        self.names = [entry for entry in self.allowlist if not self._network(entry)]
        self.networks = [network for entry in self.allowlist if (network := self._network(entry)) is not None]

    def check(self, url: str) -> str | None:
        """Why ``url`` is refused, in Chinese; None when allowed. Resolves the host."""
        try:
            self.resolve(url)
        except WebhookRefused as refused:
            return refused.reason
        return None

    def resolve(self, url: str) -> WebhookTarget:
        """Check ``url`` and resolve its host once.

        :returns: the target with the checked addresses, the only ones a sender may connect to.
        :raises WebhookRefused: when the URL is malformed, the host does not resolve, or an address is not allowed.
        """
        try:
            parsed = httpx.URL(url.strip())
            port = parsed.port
        except (httpx.InvalidURL, ValueError, TypeError):
            raise WebhookRefused(f"Webhook 地址“{url}”不是有效的 URL") from None
        if parsed.scheme not in ("http", "https"):
            raise WebhookRefused(f"Webhook 地址只支持 http 或 https，不支持“{parsed.scheme or '（无协议）'}”")
        host = parsed.raw_host.decode("ascii").lower()
        if not host:
            raise WebhookRefused("Webhook 地址缺少主机名")
        if parsed.userinfo:
            raise WebhookRefused("Webhook 地址不能包含用户名或密码")
        if self._nonstandard_ipv4(host):
            raise WebhookRefused(f"Webhook 主机“{host}”不是标准写法的 IP 地址，不允许")
        port = port or (443 if parsed.scheme == "https" else 80)
        named = self._name_listed(host)
        literal = self._literal(host)
        if self.allowlist and not named and literal is not None and not self._in_networks(literal):
            raise WebhookRefused(f"Webhook 主机“{host}”不在允许列表中（设置项 webhook_allowlist）")
        addresses = self._lookup(host, port)
        ips = [ipaddress.ip_address(address.split("%", 1)[0]) for address in addresses]
        if self.allowlist and not named and not all(self._in_networks(ip) for ip in ips):
            raise WebhookRefused(f"Webhook 主机“{host}”不在允许列表中（设置项 webhook_allowlist）")
        for address, ip in zip(addresses, ips, strict=True):
            if not _is_global(ip) and not self._in_networks(ip):
                raise WebhookRefused(f"Webhook 主机“{host}”（{address}）是内网或保留地址，不允许（可在 webhook_allowlist 中放行）")
        return WebhookTarget(parsed, host, port, tuple(dict.fromkeys(addresses)))

    @staticmethod
    def _lookup(host: str, port: int) -> list[str]:
        try:
            infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise WebhookRefused(f"Webhook 主机“{host}”无法解析") from None
        addresses = [str(info[4][0]) for info in infos]
        if not addresses:
            raise WebhookRefused(f"Webhook 主机“{host}”无法解析")
        return addresses

    @staticmethod
    def _nonstandard_ipv4(host: str) -> bool:
        """``127.1``, ``0x7f000001``, ``2130706433``, ``0177.0.0.1``: resolvers read them as IPs, ``ipaddress`` does not."""
        try:
            socket.inet_aton(host)
        except OSError:
            return False
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return True
        return False

    @staticmethod
    def _literal(host: str) -> IPAddress | None:
        try:
            return ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return None

    @staticmethod
    def _network(entry: str) -> IPNetwork | None:
        try:
            return ipaddress.ip_network(entry.strip("[]"), strict=False)
        except ValueError:
            return None

    def _name_listed(self, host: str) -> bool:
        return any(host == entry or (entry.startswith("*.") and host.endswith(entry[1:])) for entry in self.names)

    def _in_networks(self, ip: IPAddress) -> bool:
        return any(ip.version == network.version and ip in network for network in self.networks)

#include "net/ipam.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

namespace brick::net {

namespace {

// Parses a decimal number in [0, max] with no sign, no spaces, and no leading
// zeros (inet_aton would read "010" as octal 8: refuse rather than guess).
std::optional<unsigned> parse_decimal(std::string_view text, unsigned max) {
  if (text.empty() || text.size() > 3 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

}  // namespace

Result<Ipv4> parse_ipv4(std::string_view text) {
  Ipv4 address = 0;
  std::string_view rest = text;
  for (int i = 0; i < 4; ++i) {
    size_t dot = i < 3 ? rest.find('.') : rest.size();
    if (dot == std::string_view::npos) return fail("`" + std::string(text) + "` is not an IPv4 address");
    auto octet = parse_decimal(rest.substr(0, dot), 255);
    if (!octet) return fail("`" + std::string(text) + "` is not an IPv4 address");
    address = address << 8 | *octet;
    rest = i < 3 ? rest.substr(dot + 1) : std::string_view();
  }
  return address;
}

std::string format_ipv4(Ipv4 address) {
  return std::to_string(address >> 24) + "." + std::to_string(address >> 16 & 0xff) + "." +
         std::to_string(address >> 8 & 0xff) + "." + std::to_string(address & 0xff);
}

std::string Prefix::str() const { return format_ipv4(network) + "/" + std::to_string(length); }

Prefix Prefix::containing(Ipv4 address, int length) {
  Prefix prefix{0, length};
  prefix.network = address & prefix.mask();
  return prefix;
}

Result<Prefix> parse_prefix(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return fail("`" + std::string(text) + "` is not a prefix (want a.b.c.d/len)");
  Ipv4 address = BRICK_TRY_CTX(parse_ipv4(text.substr(0, slash)), "parsing prefix `" + std::string(text) + "`");
  auto length = parse_decimal(text.substr(slash + 1), 32);
  if (!length) return fail("`" + std::string(text) + "`: prefix length must be 0..32");
  Prefix prefix = Prefix::containing(address, static_cast<int>(*length));
  if (prefix.network != address)
    return fail("`" + std::string(text) + "` has host bits set (did you mean `" + prefix.str() + "`?)");
  return prefix;
}

bool overlaps(const Prefix& a, const Prefix& b) { return a.contains(b.network) || b.contains(a.network); }

std::vector<Pool> default_pools() { return {Pool{Prefix{10u << 24 | 201u << 16, 16}, 24}}; }

Result<Prefix> choose_subnet(const std::vector<Pool>& pools, const std::vector<Prefix>& in_use) {
  for (const Pool& pool : pools) {
    if (pool.subnet_length < pool.base.length || pool.subnet_length > 30)
      return fail("pool `" + pool.base.str() + "`: subnet length /" + std::to_string(pool.subnet_length) +
                  " must lie between /" + std::to_string(pool.base.length) + " and /30");
    // Step in 64 bits: the last subnet of 0.0.0.0/0 would wrap a uint32_t.
    const uint64_t step = uint64_t{1} << (32 - pool.subnet_length);
    const uint64_t end = uint64_t{pool.base.network} + (uint64_t{1} << (32 - pool.base.length));
    for (uint64_t network = pool.base.network; network < end; network += step) {
      Prefix candidate{static_cast<Ipv4>(network), pool.subnet_length};
      bool clash = false;
      for (const Prefix& used : in_use) clash = clash || overlaps(candidate, used);
      if (!clash) return candidate;
    }
  }
  return fail("no free subnet left in the address pools (every one overlaps a host route, address or network)");
}

std::array<uint8_t, 6> mac_for(Ipv4 address) {
  return {0x02,
          0x42,
          static_cast<uint8_t>(address >> 24),
          static_cast<uint8_t>(address >> 16),
          static_cast<uint8_t>(address >> 8),
          static_cast<uint8_t>(address)};
}

Result<SubnetAllocator> SubnetAllocator::create(const SubnetConfig& config) {
  const Prefix& subnet = config.subnet;
  const std::string where = "subnet `" + subnet.str() + "`";
  // /31 and /32 have no room for gateway plus host on a bridge.
  if (subnet.length > 30) return fail(where + ": too small for a bridge network (at most /30)");
  SubnetAllocator allocator;
  allocator.subnet_ = subnet;
  allocator.gateway_ = config.gateway.value_or(subnet.network + 1);
  if (!subnet.contains(allocator.gateway_) || allocator.gateway_ == subnet.network ||
      allocator.gateway_ == subnet.broadcast())
    return fail(where + ": gateway `" + format_ipv4(allocator.gateway_) + "` is not a host address in it");
  if (config.ip_range) {
    const Prefix& range = *config.ip_range;
    if (range.length < subnet.length || !subnet.contains(range.network))
      return fail(where + ": ip_range `" + range.str() + "` is not inside it");
  }
  allocator.ip_range_ = config.ip_range;
  for (const auto& [name, address] : config.aux_addresses)
    if (!subnet.contains(address))
      return fail(where + ": aux address `" + name + "` (" + format_ipv4(address) + ") is not inside it");
  allocator.aux_ = config.aux_addresses;
  return allocator;
}

std::optional<std::string> SubnetAllocator::reserved_reason(Ipv4 address) const {
  if (!subnet_.contains(address)) return "it is not in subnet `" + subnet_.str() + "`";
  if (address == subnet_.network) return std::string("it is the network address");
  if (address == subnet_.broadcast()) return std::string("it is the broadcast address");
  if (address == gateway_) return std::string("it is the gateway");
  for (const auto& [name, aux] : aux_)
    if (aux == address) return "it is reserved as aux address `" + name + "`";
  if (auto it = allocations_.find(address); it != allocations_.end()) return "it is held by `" + it->second + "`";
  return std::nullopt;
}

Result<Ipv4> SubnetAllocator::allocate(const std::string& owner) {
  const Prefix& range = ip_range_ ? *ip_range_ : subnet_;
  // 64-bit loop bound: a range ending at 255.255.255.255 must not wrap.
  for (uint64_t address = range.network; address <= range.broadcast(); ++address) {
    if (reserved_reason(static_cast<Ipv4>(address))) continue;
    allocations_.emplace(static_cast<Ipv4>(address), owner);
    return static_cast<Ipv4>(address);
  }
  return fail("allocating an address for `" + owner + "`: " + (ip_range_ ? "ip_range `" : "subnet `") + range.str() +
              "` is full");
}

Status SubnetAllocator::allocate_static(Ipv4 address, const std::string& owner) {
  if (auto reason = reserved_reason(address))
    return fail("address `" + format_ipv4(address) + "` for `" + owner + "` is not available: " + *reason);
  allocations_.emplace(address, owner);
  return {};
}

Status SubnetAllocator::release(Ipv4 address) {
  if (allocations_.erase(address) == 0)
    return fail("releasing `" + format_ipv4(address) + "`: not allocated in `" + subnet_.str() + "`");
  return {};
}

size_t SubnetAllocator::release_owner(const std::string& owner) {
  return std::erase_if(allocations_, [&](const auto& entry) { return entry.second == owner; });
}

nlohmann::json SubnetAllocator::to_json() const {
  nlohmann::json json = {{"subnet", subnet_.str()}, {"gateway", format_ipv4(gateway_)}};
  if (ip_range_) json["ip_range"] = ip_range_->str();
  json["aux_addresses"] = nlohmann::json::object();
  for (const auto& [name, address] : aux_) json["aux_addresses"][name] = format_ipv4(address);
  json["allocations"] = nlohmann::json::object();
  for (const auto& [address, owner] : allocations_) json["allocations"][format_ipv4(address)] = owner;
  return json;
}

Result<SubnetAllocator> SubnetAllocator::from_json(const nlohmann::json& json) {
  // Read field by field with explicit type checks: nlohmann's get<> throws,
  // and a corrupt record must become an Error, not an exception.
  auto string_field = [&](const nlohmann::json& object, const char* key) -> Result<std::string> {
    auto it = object.find(key);
    if (it == object.end() || !it->is_string()) return fail(std::string("field `") + key + "` missing or not a string");
    return it->get<std::string>();
  };
  auto load = [&]() -> Result<SubnetAllocator> {
    if (!json.is_object()) return fail("not a JSON object");
    SubnetConfig config;
    config.subnet = BRICK_TRY(parse_prefix(BRICK_TRY(string_field(json, "subnet"))));
    config.gateway = BRICK_TRY(parse_ipv4(BRICK_TRY(string_field(json, "gateway"))));
    if (json.contains("ip_range")) config.ip_range = BRICK_TRY(parse_prefix(BRICK_TRY(string_field(json, "ip_range"))));
    for (const char* key : {"aux_addresses", "allocations"})
      if (json.contains(key) && !json[key].is_object())
        return fail(std::string("field `") + key + "` is not an object");
    if (json.contains("aux_addresses"))
      for (const auto& [name, value] : json["aux_addresses"].items()) {
        if (!value.is_string()) return fail("aux address `" + name + "` is not a string");
        config.aux_addresses[name] = BRICK_TRY(parse_ipv4(value.get<std::string>()));
      }
    SubnetAllocator allocator = BRICK_TRY(create(config));
    if (json.contains("allocations"))
      for (const auto& [address, owner] : json["allocations"].items()) {
        if (!owner.is_string()) return fail("owner of `" + address + "` is not a string");
        BRICK_TRY(allocator.allocate_static(BRICK_TRY(parse_ipv4(address)), owner.get<std::string>()));
      }
    return allocator;
  };
  auto result = load();
  if (!result) return fail(std::move(result).error().context("loading IPAM state"));
  return result;
}

}  // namespace brick::net

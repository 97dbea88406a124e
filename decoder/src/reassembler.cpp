// Concatenated message reassembly (3GPP TS 23.040 section 9.2.3.24).
#include "smppscope/decoder/reassembler.hpp"

#include <cstring>

namespace smppscope::decoder {
namespace {

// Binary map key: session, direction, numbering, ref, then the two addresses NUL-separated.
std::string make_key(const part_key& k, const concat_part& c) {
  std::string s;
  s.reserve(14 + k.source.size() + k.destination.size());
  char head[12];
  std::memcpy(head, &k.session, 8);
  head[8] = static_cast<char>(k.direction);
  head[9] = static_cast<char>(c.source);
  head[10] = static_cast<char>(c.ref >> 8);
  head[11] = static_cast<char>(c.ref & 0xFF);
  s.append(head, sizeof head);
  s.append(k.source);
  s.push_back('\0');
  s.append(k.destination);
  return s;
}

}  // namespace

void reassembler::erase(std::unordered_map<std::string, entry>::iterator it) {
  bytes_ -= it->second.bytes;
  order_.erase(it->second.order);
  entries_.erase(it);
}

void reassembler::evict_oldest(const std::string* keep) {
  for (auto o = order_.begin(); o != order_.end(); ++o) {
    if (keep && o->second == *keep) continue;
    auto it = entries_.find(o->second);
    ++evicted_;
    erase(it);
    return;
  }
}

namespace {
template <class Part>
Part make_part_of(const message& m) {
  const auto& h = m.header;
  return Part{{m.text_octets.begin(), m.text_octets.end()}, m.fill_bits, m.data_coding, true,
              h && h->locking_shift ? *h->locking_shift : std::uint8_t{0},
              h && h->single_shift ? *h->single_shift : std::uint8_t{0}};
}
}  // namespace

reassembled_message reassembler::join(entry& e, const text_options& opts) const {
  reassembled_message r;
  r.id = std::move(e.id);
  r.first_us = e.first_us;
  r.last_us = e.last_us;
  r.data_coding = e.parts.front().data_coding;
  if (alphabet_of(r.data_coding) == text_alphabet::gsm7) {
    // Each part starts on its own septet boundary (its own fill bits): join septets, not octets.
    gsm7_packing packing = opts.packing;
    if (packing == gsm7_packing::auto_detect) {
      std::size_t packed_votes = 0, unpacked_votes = 0;
      for (const part& p : e.parts) {
        (detect_gsm7_packing(p.octets, p.fill_bits) == gsm7_packing::packed ? packed_votes : unpacked_votes) +=
            p.octets.size();
      }
      packing = packed_votes > unpacked_votes ? gsm7_packing::packed : gsm7_packing::unpacked;
    }
    std::vector<std::uint8_t> septets;
    for (const part& p : e.parts) {
      if (packing == gsm7_packing::packed) {
        const auto s = gsm7_unpack(p.octets, p.fill_bits);
        septets.insert(septets.end(), s.begin(), s.end());
      } else {
        septets.insert(septets.end(), p.octets.begin(), p.octets.end());
      }
    }
    // The national language tables of the first part (every part of one message carries the same).
    text_options lang = opts;
    lang.locking_shift = e.parts.front().locking_shift;
    lang.single_shift = e.parts.front().single_shift;
    r.text.utf8 = gsm7_to_utf8(septets, lang, &r.text.outside_alphabet);
    r.text.encoding = packing == gsm7_packing::packed ? "gsm7-packed" : "gsm7";
    return r;
  }
  std::vector<std::uint8_t> all;
  for (const part& p : e.parts) all.insert(all.end(), p.octets.begin(), p.octets.end());
  r.text = decode_text(all, r.data_coding, opts);
  return r;
}

reassembler::add_result reassembler::add(const part_key& key, const message& m, std::int64_t now_us,
                                         const text_options& opts) {
  add_result res;
  if (!m.concat) return res;
  const concat_part& c = *m.concat;
  if (c.total == 0 || c.seq == 0 || c.seq > c.total) return res;  // find_message never yields these

  reassembly_id id{key.session, key.direction, std::string(key.source), std::string(key.destination),
                   c.ref, c.total, c.source};
  if (c.total == 1) {
    entry e;
    e.id = std::move(id);
    e.parts.resize(1);
    e.parts[0] = make_part_of<part>(m);
    e.first_us = e.last_us = now_us;
    res.status = part_status::completed;
    res.message = join(e, opts);
    ++completed_;
    return res;
  }

  std::string k = make_key(key, c);
  auto it = entries_.find(k);
  if (it != entries_.end() && it->second.id.total != c.total) {
    // The reference was reused for another message before this one completed.
    ++evicted_;
    erase(it);
    it = entries_.end();
  }
  if (it == entries_.end()) {
    if (limits_.max_pending == 0) {
      ++evicted_;
      res.status = part_status::pending;
      return res;
    }
    while (entries_.size() >= limits_.max_pending) evict_oldest(nullptr);
    entry e;
    e.id = std::move(id);
    e.parts.resize(c.total);
    e.first_us = now_us;
    e.order = next_order_++;
    order_.emplace(e.order, k);
    it = entries_.emplace(k, std::move(e)).first;
  }
  entry& e = it->second;
  part& p = e.parts[c.seq - 1];
  if (p.present) {
    ++duplicates_;
    res.status = part_status::duplicate;
    return res;
  }
  p = make_part_of<part>(m);
  ++e.received;
  e.bytes += p.octets.size();
  bytes_ += p.octets.size();
  e.last_us = now_us;

  if (e.received == e.id.total) {
    res.status = part_status::completed;
    res.message = join(e, opts);
    ++completed_;
    erase(it);
    return res;
  }
  res.status = part_status::pending;
  while (bytes_ > limits_.max_bytes && entries_.size() > 1) evict_oldest(&k);
  if (bytes_ > limits_.max_bytes) {  // this message alone is over the bound
    ++evicted_;
    erase(entries_.find(k));
  }
  return res;
}

template <class Pred>
std::vector<incomplete_message> reassembler::take_if(Pred pred) {
  std::vector<incomplete_message> out;
  for (auto o = order_.begin(); o != order_.end();) {
    auto it = entries_.find(o->second);
    ++o;  // erase() below removes the current order_ node
    entry& e = it->second;
    if (!pred(e)) continue;
    incomplete_message inc;
    inc.received = e.received;
    inc.first_us = e.first_us;
    inc.last_us = e.last_us;
    for (std::size_t i = 0; i < e.parts.size(); ++i)
      if (!e.parts[i].present) inc.missing.push_back(static_cast<std::uint8_t>(i + 1));
    inc.id = std::move(e.id);
    out.push_back(std::move(inc));
    ++expired_;
    erase(it);
  }
  return out;
}

std::vector<incomplete_message> reassembler::expire(std::int64_t now_us) {
  return take_if([&](const entry& e) { return now_us - e.last_us > limits_.timeout_us; });
}

std::vector<incomplete_message> reassembler::take_session(std::uint64_t session) {
  return take_if([&](const entry& e) { return e.id.session == session; });
}

}  // namespace smppscope::decoder

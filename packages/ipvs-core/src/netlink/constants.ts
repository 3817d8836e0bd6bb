/**
 * Numbers of netlink and generic netlink (nlctrl included), named as in the kernel's UAPI headers
 * (linux/netlink.h, linux/genetlink.h) so they can be looked up there.
 */

/** Protocol number of generic netlink sockets. */
export const NETLINK_GENERIC = 16;

export const NLMSG_HDRLEN = 16;
export const GENL_HDRLEN = 4;
/** Offset of the first attribute of a generic netlink message. */
export const GENL_ATTRS_OFFSET = NLMSG_HDRLEN + GENL_HDRLEN;

export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;

export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/** The generic netlink controller (nlctrl). */
export const GENL_ID_CTRL = 0x10;
export const CTRL_CMD_NEWFAMILY = 1;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_ATTR_FAMILY_ID = 1;
export const CTRL_ATTR_FAMILY_NAME = 2;
